"""GraphQL types of the stewards' review queue and of merging customers by hand."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from subgraphs.kit.batch import batched, each, load
from subgraphs.kit.classes import classified, classify, owned_by
from subgraphs.kit.context import Info, RequestContext
from subgraphs.kit.entities import CustomerRef
from subgraphs.profiles import loaders


@strawberry.enum(description="How a candidate pair was found.")
class MatchMethod(Enum):
    _value_: str

    DETERMINISTIC = strawberry.enum_value(
        "deterministic",
        description="Raised by a rule, without a model's score.",
    )
    PROBABILISTIC = strawberry.enum_value(
        "probabilistic",
        description=(
            "Weighed by the probabilistic (Fellegi–Sunter) model: a score between the review thresholds, or a shared "
            "identifier whose records' attributes weigh against it."
        ),
    )


@strawberry.enum(description="How one field compares between the two sides of a candidate pair.")
class ComparisonLevel(Enum):
    _value_: str

    AGREE = strawberry.enum_value("agree", description="Both sides have the field and it matches.")
    DISAGREE = strawberry.enum_value("disagree", description="Both sides have the field and it differs.")
    MISSING = strawberry.enum_value("missing", description="One side has no value: no evidence either way.")


@classified("internal")
@strawberry.type(description="One comparison behind a candidate pair.")
class MatchComparison:
    field: str = strawberry.field(description="The compared attribute, e.g. `birth_date`.")
    level: ComparisonLevel = strawberry.field(description="How the two sides compare.")
    weight: float | None = strawberry.field(
        description="Its match weight (log2 m/u) when a probabilistic model scored the pair; null for a rule."
    )
    model_level: str | None = strawberry.field(
        default=None,
        description=(
            "The model's level this comparison reached (`exact`, `jaro_winkler_0.92`, `day_month_swapped`, `else`, "
            "`null`…), when a model scored the pair."
        ),
    )

    @staticmethod
    def of(data: dict[str, Any]) -> MatchComparison:
        return MatchComparison(
            field=data["field"],
            level=ComparisonLevel(data["level"]),
            weight=data.get("weight"),
            model_level=data.get("modelLevel"),
        )


@strawberry.enum(description="A steward's decision on a candidate pair.")
class MatchDecision(Enum):
    _value_: str

    MERGE = strawberry.enum_value("merge", description="One person: merge the two customers (reversible).")
    KEEP_APART = strawberry.enum_value(
        "keep_apart", description="Two people: never merge them, whatever records later share."
    )


async def _pair_customer(candidate: Any, context: RequestContext) -> CustomerRef | None:
    return await loaders.customer(context, candidate.customer_ids[0])


async def _pair_other(candidate: Any, context: RequestContext) -> CustomerRef | None:
    return await loaders.customer(context, candidate.customer_ids[1])


_PAIR_CUSTOMER = each("profiles.MatchCandidate.customer", _pair_customer)
_PAIR_OTHER = each("profiles.MatchCandidate.other", _pair_other)


@classified("internal")
@owned_by("customer_ids")
@strawberry.type(
    description="A pair of customers that the evidence does not settle, for a steward to decide."
)
class MatchCandidate:
    id: strawberry.ID = strawberry.field(
        description="Id of the candidate (give it to `resolveMatchCandidate`)."
    )
    method: MatchMethod = strawberry.field(description="How the pair was found.")
    rule: str = strawberry.field(description="The rule that raised it.")
    score: float | None = strawberry.field(
        description="Total match weight, when a model scored the pair; null for a rule's candidate."
    )
    record: str | None = strawberry.field(
        description="The source record that raised it, `system:externalId`."
    )
    identifiers: list[str] = strawberry.field(
        metadata=classify("contact_pii"), description="Identifiers the pair shares, as `type:value`."
    )
    comparisons: list[MatchComparison] = strawberry.field(description="The comparisons that explain it.")
    created_at: datetime = strawberry.field(description="When it was raised.")
    customer_ids: strawberry.Private[list[str]]

    @strawberry.field(
        description="One customer of the pair (as it is now: merges since are followed).",
        metadata=batched(_PAIR_CUSTOMER),
    )
    async def customer(self, info: Info) -> CustomerRef | None:
        return await load(info, _PAIR_CUSTOMER, self)

    @strawberry.field(description="The other customer of the pair.", metadata=batched(_PAIR_OTHER))
    async def other(self, info: Info) -> CustomerRef | None:
        return await load(info, _PAIR_OTHER, self)

    @staticmethod
    def of(row: Any) -> MatchCandidate:
        return MatchCandidate(
            id=strawberry.ID(str(row["id"])),
            method=MatchMethod(row["method"]),
            rule=row["rule"],
            score=row["score"],
            record=row["record"],
            identifiers=list(row["identifiers"]),
            comparisons=[MatchComparison.of(c) for c in row["comparisons"]],
            created_at=row["created_at"],
            customer_ids=[row["customer"], row["other"]],
        )


@classified("public")
@strawberry.type(description="What a steward's decision, or merge by hand, did.")
class IdentityDecisionPayload:
    customer_ids: strawberry.Private[list[str]]
    applied: bool = strawberry.field(
        description=(
            "Whether the identity graph has applied it: false when it is stored but not applied within a short wait "
            "(it will be, in order with ingestion; `customers` is empty until then)."
        )
    )

    @strawberry.field(description="The customers after it: one after a merge, both when kept apart.")
    async def customers(self, info: Info) -> list[CustomerRef]:
        return await loaders.customers(info.context, self.customer_ids)


@strawberry.input(description="Two customers a steward knows to be one person.")
class MergeCustomersInput:
    customer_id: strawberry.ID = strawberry.field(description="One customer.")
    other_customer_id: strawberry.ID = strawberry.field(
        description="The other; the older of the two keeps its id."
    )
