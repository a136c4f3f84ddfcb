"""GraphQL types of the profiles subgraph: the golden-record fields of ``Customer`` and its identifiers."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry

from graph_store.identity import LinkedIdentifier
from subgraphs.kit.batch import batched, customer_id, each, keyed, load
from subgraphs.kit.classes import classified, classify, owned_by
from subgraphs.kit.compiled import rows_of, sql_form
from subgraphs.kit.context import Info
from subgraphs.kit.entities import CustomerRef
from subgraphs.kit.enums import IdentifierType
from subgraphs.kit.pagination import Connection
from subgraphs.profiles import compiled, repository
from subgraphs.profiles.consent_types import Consent, ConsentChannel, ConsentPurpose, ConsentStatus
from subgraphs.profiles.ingest_types import IdentityEvent, IdentityEventKind, SourceRecordView
from subgraphs.profiles.loaders import ProfilesLoaders
from subgraphs.profiles.review_types import MatchComparison


@strawberry.enum(description="Gender as recorded by the customer.")
class Gender(Enum):
    _value_: str

    FEMALE = strawberry.enum_value("female", description="Female.")
    MALE = strawberry.enum_value("male", description="Male.")
    OTHER = strawberry.enum_value("other", description="Another gender.")
    UNKNOWN = strawberry.enum_value("unknown", description="Not known: no source record gave a gender.")


@strawberry.enum(description="Loyalty programme tier, lowest first.")
class LoyaltyTier(Enum):
    _value_: str

    BRONZE = strawberry.enum_value("bronze", description="Lowest tier.")
    SILVER = strawberry.enum_value("silver", description="Second tier.")
    GOLD = strawberry.enum_value("gold", description="Third tier.")
    PLATINUM = strawberry.enum_value("platinum", description="Highest tier.")


@strawberry.enum(description="Lifecycle status of the customer record.")
class CustomerStatus(Enum):
    _value_: str

    ACTIVE = strawberry.enum_value(
        "active", description="Active; customers created by ingestion start in this status."
    )
    INACTIVE = strawberry.enum_value("inactive", description="No longer active.")
    BLOCKED = strawberry.enum_value("blocked", description="Blocked.")


@rows_of("profiles.customer_identifiers", "profiles", "customer_id")
@classified("public")
@owned_by("customer_id")
@strawberry.type(
    description="An identifier linked to a customer in the identity graph, with where it came from."
)
class Identifier:
    type: IdentifierType = strawberry.field(description="Kind of identifier.")
    value: str = strawberry.field(
        metadata=classify("identifier"),
        description="Normalised value: E.164 phone, lower-case email, `appId/openid` for WeChat openids.",
    )
    source: str = strawberry.field(description="Source system that reported the link.")
    observed_at: datetime = strawberry.field(description="When the source system observed the link.")
    customer_id: strawberry.Private[str]


@classified("internal")
@owned_by("customer_id")
@strawberry.type(description="Where a golden-record field's value came from, and the rule that chose it.")
class FieldProvenance:
    field: str = strawberry.field(description="Golden-record field, e.g. `given_name`.")
    value: str | None = strawberry.field(
        metadata=classify("sensitive_pi"), description="The winning value, as text."
    )
    system: str = strawberry.field(
        description="Source system of the record it came from (`profile`: prior data)."
    )
    external_id: str = strawberry.field(description="That record's id in its system.")
    observed_at: datetime = strawberry.field(description="When the system observed it.")
    rule: str = strawberry.field(
        description="Survivorship rule that picked it (from the identity rules file)."
    )
    customer_id: strawberry.Private[str]


@strawberry.input(description="Filters for `customers`; all given filters must match.")
class CustomerFilter:
    name: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the full name."
    )
    cities: list[str] | None = strawberry.field(
        default=None, description="Customer lives in one of these cities."
    )
    loyalty_tiers: list[LoyaltyTier] | None = strawberry.field(
        default=None, description="Customer is in one of these loyalty tiers."
    )
    has_open_tickets: bool | None = strawberry.field(
        default=None, description="Customer has (true) or has no (false) open or pending ticket."
    )


TOTAL_COUNT = each(
    "profiles.customers.total_count",
    lambda connection, context: repository.count(
        context.sources.postgres.db("profiles"), connection.criteria
    ),
)


@classified("public")
@strawberry.type(description="A page of customers.")
class CustomerConnection(Connection[CustomerRef]):
    criteria: strawberry.Private[repository.CustomerSearch]

    @strawberry.field(
        description="Number of customers matching the filter, across all pages.",
        metadata=batched(TOTAL_COUNT),
    )
    async def total_count(self, info: Info) -> int:
        return await load(info, TOTAL_COUNT, self)


def _identifiers(links: list[LinkedIdentifier], customer: Any) -> list[Identifier]:
    return [
        Identifier(
            type=link.type,
            value=link.value,
            source=link.source,
            observed_at=link.observed_at,
            customer_id=customer.id,
        )
        for link in links
    ]


def _consents(rows: list[Any], customer: Any) -> list[Consent]:
    return [
        Consent(
            purpose=ConsentPurpose(r["purpose"]),
            channel=ConsentChannel(r["channel"]),
            status=ConsentStatus(r["status"]),
            source=r["source"],
            decided_at=r["decided_at"],
            evidence=r["evidence"],
            customer_id=customer.id,
        )
        for r in rows
    ]


def _provenance(rows: list[Any], customer: Any) -> list[FieldProvenance]:
    return [
        FieldProvenance(
            field=r["field"],
            value=r["value"],
            system=r["system"],
            external_id=r["external_id"],
            observed_at=r["observed_at"],
            rule=r["rule"],
            customer_id=customer.id,
        )
        for r in rows
    ]


def _source_records(records: list[Any], customer: Any) -> list[SourceRecordView]:
    return [
        SourceRecordView(
            system=r.system,
            external_id=r.external_id,
            observed_at=r.observed_at,
            attributes=r.attributes,
            identifiers=r.claims,
            conflicts=[key for key, _ in r.conflicts],
            customer_id=customer.id,
        )
        for r in records
    ]


def _identity_history(events: list[Any], _: Any) -> list[IdentityEvent]:
    return [
        IdentityEvent(
            kind=IdentityEventKind(e.kind),
            at=e.at,
            record=e.record,
            rule=e.rule,
            other=e.other,
            customer_id=strawberry.ID(e.customer_id),
            identifiers=list(e.identifiers),
            score=e.score,
            comparisons=[MatchComparison.of(c) for c in e.comparisons],
        )
        for e in events
    ]


IDENTIFIERS = keyed(
    "profiles.identifiers",
    lambda c: c.loaders(ProfilesLoaders).identifiers_by_customer,
    customer_id,
    _identifiers,
)
CONSENTS = keyed("profiles.consents", lambda c: c.loaders(ProfilesLoaders).consents, customer_id, _consents)
MERGED_IDS = keyed(
    "profiles.merged_ids",
    lambda c: c.loaders(ProfilesLoaders).merged_ids,
    customer_id,
    lambda ids, _: [strawberry.ID(i) for i in ids],
)
PROVENANCE = keyed(
    "profiles.provenance", lambda c: c.loaders(ProfilesLoaders).provenance, customer_id, _provenance
)
SOURCE_RECORDS = keyed(
    "profiles.source_records",
    lambda c: c.loaders(ProfilesLoaders).source_records,
    customer_id,
    _source_records,
)
IDENTITY_HISTORY = keyed(
    "profiles.identity_history",
    lambda c: c.loaders(ProfilesLoaders).identity_events,
    customer_id,
    _identity_history,
)


@classified("public")
@strawberry.type(name="ProfilesCustomerFields")
class ProfileCustomerFields:
    id: strawberry.ID = strawberry.field(description="Persistent customer id (a UUID).")
    given_name: str = strawberry.field(
        metadata=classify("contact_pii", mask="name"), description="Given (first) name."
    )
    family_name: str = strawberry.field(
        metadata=classify("contact_pii", mask="name"), description="Family (last) name."
    )
    full_name: str = strawberry.field(
        metadata=classify("contact_pii", mask="name"),
        description="Display name in the customer's convention: family name first for Chinese names.",
    )
    gender: Gender = strawberry.field(description="Gender as recorded by the customer.")
    birth_date: date | None = strawberry.field(
        metadata=classify("sensitive_pi"), description="Date of birth, when known."
    )
    city: str | None = strawberry.field(metadata=classify("contact_pii"), description="City of residence.")
    region: str | None = strawberry.field(description="Province, state or region of residence.")
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    loyalty_tier: LoyaltyTier = strawberry.field(description="Current loyalty programme tier.")
    loyalty_points: int = strawberry.field(
        metadata=classify("financial"), description="Loyalty points balance."
    )
    status: CustomerStatus = strawberry.field(description="Lifecycle status of the record.")
    created_at: datetime = strawberry.field(description="When the customer record was created.")
    updated_at: datetime = strawberry.field(description="When the golden record last changed.")

    @strawberry.field(
        description="Phones, emails, WeChat ids, devices and source-system ids linked to this customer.",
        metadata=batched(IDENTIFIERS, **sql_form(compiled.customer_identifiers)),
    )
    async def identifiers(self, info: Info) -> list[Identifier] | None:
        return await load(info, IDENTIFIERS, self)

    @strawberry.field(
        description=(
            "The consents in force, one per purpose and channel (the latest decision by time), including those "
            "that came with the customer's source records."
        ),
        metadata=batched(CONSENTS),
    )
    async def consents(self, info: Info) -> list[Consent] | None:
        return await load(info, CONSENTS, self)

    @strawberry.field(
        metadata=batched(MERGED_IDS, **classify("internal")),
        description="Ids of customers merged into this one; each still resolves to it.",
    )
    async def merged_ids(self, info: Info) -> list[strawberry.ID] | None:
        return await load(info, MERGED_IDS, self)

    @strawberry.field(
        metadata=batched(PROVENANCE, **classify("internal")),
        description="For each golden-record field: the winning value, its source record and the rule.",
    )
    async def provenance(self, info: Info) -> list[FieldProvenance] | None:
        return await load(info, PROVENANCE, self)

    @strawberry.field(
        metadata=batched(SOURCE_RECORDS, **classify("internal")),
        description="The source records that make up this customer, by system.",
    )
    async def source_records(self, info: Info) -> list[SourceRecordView] | None:
        return await load(info, SOURCE_RECORDS, self)

    @strawberry.field(
        metadata=batched(IDENTITY_HISTORY, **classify("internal")),
        description=(
            "Every merge, link, conflict, review decision and split of this customer's identity (and of the "
            "customers merged into it), oldest first, each with the rule and the identifiers that decided it."
        ),
    )
    async def identity_history(self, info: Info) -> list[IdentityEvent] | None:
        return await load(info, IDENTITY_HISTORY, self)
