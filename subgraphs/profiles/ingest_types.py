"""GraphQL types of source-record ingestion: inputs, per-record results, rejected records kept for review."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from graph_store.resolution.plan import Outcome
from graph_store.resolution.records import FieldError, RawIdentifier, Rejection, SourceRecord
from subgraphs.kit.batch import batched, each, load
from subgraphs.kit.classes import classified, classify, owned_by
from subgraphs.kit.context import Info, RequestContext
from subgraphs.kit.entities import CustomerRef
from subgraphs.kit.enums import IdentifierType
from subgraphs.profiles import loaders
from subgraphs.profiles.consent import Decision
from subgraphs.profiles.consent_types import ConsentInput
from subgraphs.profiles.ingestion import Accepted
from subgraphs.profiles.review_types import MatchComparison


@strawberry.input(description="An identifier as the source system sent it; it is normalised on ingestion.")
class IdentifierInput:
    type: IdentifierType = strawberry.field(description="Kind of identifier.")
    value: str = strawberry.field(description="Raw value, in any common spelling.")
    app_id: str | None = strawberry.field(default=None, description="WeChat app id; required for openids.")


@strawberry.input(description="Profile attributes of a source record; all optional, validated per record.")
class SourceRecordAttributesInput:
    given_name: str | None = strawberry.field(default=None, description="Given (first) name.")
    family_name: str | None = strawberry.field(default=None, description="Family (last) name.")
    full_name: str | None = strawberry.field(
        default=None,
        description="The whole name as one string, for systems that keep no parts (`王伟`, `Wang Wei`, `Wang, Wei`).",
    )
    gender: str | None = strawberry.field(default=None, description="female, male, other or unknown.")
    birth_date: str | None = strawberry.field(default=None, description="ISO date, YYYY-MM-DD.")
    birth_date_as_written: str | None = strawberry.field(
        default=None,
        description=(
            "The birth date as the source holds it, in any form (`1985年3月4日`, `04/03/1985`, `1985-03`): matched "
            "as written, beside `birthDate` when the source has an ISO date too."
        ),
    )
    address: str | None = strawberry.field(default=None, description="Postal address (street line).")
    address_2: str | None = strawberry.field(
        default=None, description="Second address line: building, unit, locality."
    )
    city: str | None = strawberry.field(default=None, description="City.")
    postcode: str | None = strawberry.field(default=None, description="Postal code.")
    region: str | None = strawberry.field(default=None, description="Province, state or region.")
    loyalty_tier: str | None = strawberry.field(default=None, description="bronze, silver, gold or platinum.")
    loyalty_points: int | None = strawberry.field(default=None, description="Loyalty points balance.")


@strawberry.input(description="One record about a person from one source system.")
class SourceRecordInput:
    system: str = strawberry.field(
        description="Source system, e.g. crm, ecommerce, pos, wechat, service_desk."
    )
    external_id: str = strawberry.field(description="The record's id in its system.")
    observed_at: datetime = strawberry.field(description="When the system observed this state of the record.")
    attributes: SourceRecordAttributesInput | None = strawberry.field(
        default=None, description="Profile data."
    )
    identifiers: list[IdentifierInput] = strawberry.field(
        description="Phones, emails, WeChat ids, devices, ids."
    )
    consents: list[ConsentInput] | None = strawberry.field(
        default=None,
        description=(
            "Consent decisions captured with the record; they belong to the customer the record resolves to, "
            "and are written with the record (not when it is rejected)."
        ),
    )

    def to_decisions(self) -> list[Decision]:
        return [c.to_decision() for c in self.consents or []]

    def to_record(self) -> SourceRecord:
        attributes: dict[str, Any] = {}
        if self.attributes is not None:
            attributes = {k: v for k, v in vars(self.attributes).items() if v is not None}
        return SourceRecord(
            self.system,
            self.external_id,
            self.observed_at,
            attributes,
            tuple(RawIdentifier(i.type, i.value, i.app_id) for i in self.identifiers),
        )


@strawberry.enum(description="What ingestion did with a record.")
class IngestStatus(Enum):
    _value_: str

    CREATED = strawberry.enum_value(
        "created", description="No existing customer matched: a new customer was created for the record."
    )
    LINKED = strawberry.enum_value(
        "linked", description="The record was linked to the one existing customer it matched."
    )
    MERGED = strawberry.enum_value(
        "merged",
        description="The record matched several customers, which were merged into one (`mergedCustomerIds`).",
    )
    UNCHANGED = strawberry.enum_value(
        "unchanged", description="The record was already stored with the same content: nothing changed."
    )
    REJECTED = strawberry.enum_value(
        "rejected",
        description="Invalid: kept for review in `rejectedRecords`, with its errors, and not ingested.",
    )
    ACCEPTED = strawberry.enum_value(
        "accepted",
        description=(
            "Stored durably; identity resolution had not finished when the call answered (the identity graph is "
            "busy or down). `ingestOutcomes` gives the outcome once it has."
        ),
    )


@classified("public")
@owned_by(None)  # the value as received, of a record that was rejected: it belongs to no customer
@strawberry.type(description="Why a field of a record was refused.")
class RecordError:
    field: str = strawberry.field(description="The offending field, e.g. `identifiers[1].phone`.")
    value: str = strawberry.field(metadata=classify("contact_pii"), description="The value as received.")
    message: str = strawberry.field(description="What is wrong with it.")


@classified("public")
@owned_by("customer_id")
@strawberry.type(description="An identifier that was not linked, and why.")
class SkippedIdentifier:
    type: IdentifierType = strawberry.field(description="Kind of identifier.")
    value: str = strawberry.field(metadata=classify("contact_pii"), description="Normalised value.")
    reason: str = strawberry.field(
        description="The limit it would break, or the blocked-value pattern it matches."
    )
    customer_id: strawberry.Private[str | None] = None
    """The customer of the record that claimed it."""


async def _result_customer(result: Any, context: RequestContext) -> CustomerRef | None:
    return await loaders.customer(context, result.customer_id) if result.customer_id else None


_RESULT_CUSTOMER = each("profiles.SourceRecordResult.customer", _result_customer)


@classified("public")
@owned_by("customer_id")
@strawberry.type(
    description="An identifier that could not be normalised: left out of matching, the record ingested without it."
)
class DroppedIdentifier:
    field: str = strawberry.field(description="Where it was in the record, e.g. `identifiers[1].phone`.")
    value: str = strawberry.field(metadata=classify("contact_pii"), description="The value as received.")
    reason: str = strawberry.field(description="Why it is not a valid identifier of its type.")
    customer_id: strawberry.Private[str | None] = None
    """The customer of the record that carried it."""

    @staticmethod
    def of(errors: Iterable[FieldError], customer_id: str | None) -> list[DroppedIdentifier]:
        return [
            DroppedIdentifier(field=e.field, value=e.value, reason=e.message, customer_id=customer_id)
            for e in errors
        ]


@classified("public")
@strawberry.type(description="The outcome of ingesting one source record.")
class SourceRecordResult:
    system: str = strawberry.field(description="Source system of the record.")
    external_id: str = strawberry.field(description="The record's id in its system.")
    status: IngestStatus = strawberry.field(description="What happened to it.")
    merged_customer_ids: list[strawberry.ID] = strawberry.field(
        description="Customers this record merged into `customer`."
    )
    errors: list[RecordError] = strawberry.field(description="Why the record was rejected (empty otherwise).")
    conflicts: list[SkippedIdentifier] = strawberry.field(description="Identifiers that yielded to a limit.")
    blocked: list[SkippedIdentifier] = strawberry.field(description="Junk identifiers that were ignored.")
    dropped: list[DroppedIdentifier] = strawberry.field(
        description=(
            "Identifiers that could not be normalised (an invalid phone, a malformed email): left out of matching; "
            "the record was ingested with its other identifiers."
        )
    )
    customer_id: strawberry.Private[str | None]

    @strawberry.field(
        description="The customer the record belongs to; null when it was rejected.",
        metadata=batched(_RESULT_CUSTOMER),
    )
    async def customer(self, info: Info) -> CustomerRef | None:
        return await load(info, _RESULT_CUSTOMER, self)

    @staticmethod
    def of(result: Outcome | Rejection | Accepted) -> SourceRecordResult:
        if isinstance(result, Accepted):
            system, external_id = result.key.split(":", 1)
            return SourceRecordResult(
                system=system,
                external_id=external_id,
                status=IngestStatus.ACCEPTED,
                merged_customer_ids=[],
                errors=[],
                conflicts=[],
                blocked=[],
                dropped=DroppedIdentifier.of(result.dropped, None),
                customer_id=None,
            )
        if isinstance(result, Rejection):
            return SourceRecordResult(
                system=result.record.system,
                external_id=result.record.external_id,
                status=IngestStatus.REJECTED,
                merged_customer_ids=[],
                errors=[RecordError(field=e.field, value=e.value, message=e.message) for e in result.errors],
                conflicts=[],
                blocked=[],
                dropped=[],
                customer_id=None,
            )
        system, external_id = result.key.split(":", 1)
        return SourceRecordResult(
            system=system,
            external_id=external_id,
            status=IngestStatus(result.status),
            merged_customer_ids=[strawberry.ID(m) for m in result.merged],
            errors=[],
            conflicts=[
                SkippedIdentifier(type=i.type, value=i.value, reason=r, customer_id=result.customer_id)
                for i, r in result.conflicts
            ],
            blocked=[
                SkippedIdentifier(type=i.type, value=i.value, reason=p, customer_id=result.customer_id)
                for i, p in result.blocked
            ],
            dropped=DroppedIdentifier.of(result.dropped, result.customer_id),
            customer_id=result.customer_id,
        )


@classified("public")
@strawberry.type(description="The outcome of an ingestion call.")
class IngestSourceRecordsPayload:
    results: list[SourceRecordResult] = strawberry.field(description="One result per record, in input order.")

    def _count(self, status: IngestStatus) -> int:
        return sum(1 for r in self.results if r.status is status)

    @strawberry.field(description="Records that started a new customer.")
    def created(self) -> int:
        return self._count(IngestStatus.CREATED)

    @strawberry.field(description="Records that joined an existing customer.")
    def linked(self) -> int:
        return self._count(IngestStatus.LINKED)

    @strawberry.field(description="Records that merged customers.")
    def merged(self) -> int:
        return self._count(IngestStatus.MERGED)

    @strawberry.field(description="Records already stored with the same content.")
    def unchanged(self) -> int:
        return self._count(IngestStatus.UNCHANGED)

    @strawberry.field(description="Records rejected (kept for review in `rejectedRecords`).")
    def rejected(self) -> int:
        return self._count(IngestStatus.REJECTED)

    @strawberry.field(description="Records stored whose identity resolution had not finished yet.")
    def accepted(self) -> int:
        return self._count(IngestStatus.ACCEPTED)


@classified("internal")
@owned_by(None)  # never ingested: it belongs to no customer
@strawberry.type(description="A record that could not be ingested, kept whole for review.")
class RejectedRecord:
    id: strawberry.ID = strawberry.field(description="Id of the rejection.")
    system: str = strawberry.field(description="Source system of the record.")
    external_id: str = strawberry.field(description="The record's id in its system.")
    received_at: datetime = strawberry.field(description="When it was rejected.")
    errors: list[RecordError] = strawberry.field(description="Why.")
    payload: JSON = strawberry.field(metadata=classify("sensitive_pi"), description="The record as received.")


@classified("internal")
@owned_by("customer_id")
@strawberry.type(description="A source record that contributes to a customer.")
class SourceRecordView:
    system: str = strawberry.field(description="Source system.")
    external_id: str = strawberry.field(description="The record's id in its system.")
    observed_at: datetime = strawberry.field(description="When the system observed it.")
    attributes: JSON = strawberry.field(
        metadata=classify("sensitive_pi"), description="Its profile attributes, as validated."
    )
    identifiers: list[str] = strawberry.field(
        metadata=classify("contact_pii"), description="Identifiers it linked, as `type:value`."
    )
    conflicts: list[str] = strawberry.field(
        description="Identifiers that yielded to a limit, as `type:value`."
    )
    customer_id: strawberry.Private[str]


@strawberry.enum(description="Kinds of identity event.")
class IdentityEventKind(Enum):
    _value_: str

    MERGE = strawberry.enum_value(
        "merge",
        description="Another customer was merged into this one (by shared identifiers, or by a steward).",
    )
    LINK = strawberry.enum_value(
        "link", description="A source record joined this existing customer through the identifiers named."
    )
    CONFLICT = strawberry.enum_value(
        "conflict",
        description=(
            "An identifier was not linked: linking it would break a limit, merge customers a split or a steward "
            "parted, or join a customer whose records' attributes clearly disagree (then a review candidate)."
        ),
    )
    REVIEW = strawberry.enum_value(
        "review", description="A steward decided a review candidate about this customer (`rule` says how)."
    )
    SPLIT = strawberry.enum_value(
        "split", description="A customer was split off this one (`unmergeCustomer`)."
    )


@classified("internal")
@owned_by("customer_id")
@strawberry.type(
    description="A merge, link, conflict, review decision or split in a customer's identity, with what decided it."
)
class IdentityEvent:
    kind: IdentityEventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When.")
    record: str = strawberry.field(description="The source record that triggered it, as `system:externalId`.")
    rule: str = strawberry.field(description="The rule that decided it (for conflicts: the limit and why).")
    other: str = strawberry.field(
        description="The customer merged in or split off, or the identifier that yielded (`type:value`)."
    )
    customer_id: strawberry.ID = strawberry.field(
        description="The customer the event happened to at the time."
    )
    identifiers: list[str] = strawberry.field(
        metadata=classify("contact_pii"),
        description="The identifiers that decided it, as `type:value` (for a merge: those the records shared).",
    )
    score: float | None = strawberry.field(
        default=None,
        description="The match weight of the record pair the probabilistic model weighed, when it decided or weighed in.",
    )
    comparisons: list[MatchComparison] = strawberry.field(
        default_factory=list,
        description="That pair's comparisons, each with its level and match weight: what explains the score.",
    )


@classified("public")
@strawberry.type(
    description="How well source records consolidate into customers, over the whole identity graph."
)
class IdentityQuality:
    customers: int = strawberry.field(description="Customers that source records resolve to.")
    source_records: int = strawberry.field(description="Source records ingested.")
    merges: int = strawberry.field(description="Merges in force: merges performed, less those a split undid.")
    splits: int = strawberry.field(description="Splits performed (each counted once, whatever it produced).")
    conflicts: int = strawberry.field(description="Identifiers that yielded to a limit.")
    rejected_records: int = strawberry.field(description="Records rejected on ingestion.")
    largest_cluster_size: int = strawberry.field(description="Most source records behind one customer.")
    review_queue: int = strawberry.field(description="Open candidates in the stewards' review queue.")
    probabilistic_share: float = strawberry.field(
        description=(
            "Share of source records the probabilistic model joined to a customer none of their identifiers named."
        )
    )

    @strawberry.field(description="1 − customers / source records: the share of records folded into another.")
    def consolidation_rate(self) -> float:
        return 1 - self.customers / self.source_records if self.source_records else 0.0


@strawberry.input(description="A source record, by its system and its id there.")
class SourceRecordRef:
    system: str = strawberry.field(description="Source system.")
    external_id: str = strawberry.field(description="The record's id in its system.")


@strawberry.input(description="What to split off a customer.")
class UnmergeCustomerInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer to split.")
    source_records: list[SourceRecordRef] = strawberry.field(
        default_factory=list, description="Records to take out (typically the one that caused a merge)."
    )
    identifiers: list[IdentifierInput] = strawberry.field(
        default_factory=list, description="Identifiers whose records to take out."
    )


@classified("public")
@strawberry.type(description="The customers a split left.")
class UnmergeCustomerPayload:
    customer_ids: strawberry.Private[list[str]]
    applied: bool = strawberry.field(
        description=(
            "Whether the split is done: false when it is stored but the identity graph had not applied it when "
            "the call answered (it will, in order with ingestion; `customers` is empty until then)."
        )
    )

    @strawberry.field(
        description="The resulting customers: the first keeps the split customer's id; ids merged earlier come back."
    )
    async def customers(self, info: Info) -> list[CustomerRef]:
        return await loaders.customers(info.context, self.customer_ids)
