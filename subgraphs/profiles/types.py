"""GraphQL types of the profiles subgraph: the golden-record fields of ``Customer`` and its identifiers."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from subgraphs.kit.classes import classified, classify, owned_by
from subgraphs.kit.context import Info
from subgraphs.kit.entities import CustomerRef
from subgraphs.kit.enums import IdentifierType
from subgraphs.kit.pagination import Connection
from subgraphs.profiles import repository
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


@classified("public")
@strawberry.type(description="A page of customers.")
class CustomerConnection(Connection[CustomerRef]):
    criteria: strawberry.Private[repository.CustomerSearch]

    @strawberry.field(description="Number of customers matching the filter, across all pages.")
    async def total_count(self, info: Info) -> int:
        return await repository.count(info.context.sources.postgres.db("profiles"), self.criteria)


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
        description="Phones, emails, WeChat ids, devices and source-system ids linked to this customer."
    )
    async def identifiers(self, info: Info) -> list[Identifier] | None:
        links = await info.context.loaders(ProfilesLoaders).identifiers_by_customer.load(self.id)
        return [
            Identifier(
                type=link.type,
                value=link.value,
                source=link.source,
                observed_at=link.observed_at,
                customer_id=self.id,
            )
            for link in links
        ]

    @strawberry.field(
        description=(
            "The consents in force, one per purpose and channel (the latest decision by time), including those "
            "that came with the customer's source records."
        )
    )
    async def consents(self, info: Info) -> list[Consent] | None:
        rows = await info.context.loaders(ProfilesLoaders).consents.load(self.id)
        return [
            Consent(
                purpose=ConsentPurpose(r["purpose"]),
                channel=ConsentChannel(r["channel"]),
                status=ConsentStatus(r["status"]),
                source=r["source"],
                decided_at=r["decided_at"],
                evidence=r["evidence"],
                customer_id=self.id,
            )
            for r in rows
        ]

    @strawberry.field(
        metadata=classify("internal"),
        description="Ids of customers merged into this one; each still resolves to it.",
    )
    async def merged_ids(self, info: Info) -> list[strawberry.ID] | None:
        return [
            strawberry.ID(i) for i in await info.context.loaders(ProfilesLoaders).merged_ids.load(self.id)
        ]

    @strawberry.field(
        metadata=classify("internal"),
        description="For each golden-record field: the winning value, its source record and the rule.",
    )
    async def provenance(self, info: Info) -> list[FieldProvenance] | None:
        rows = await info.context.loaders(ProfilesLoaders).provenance.load(self.id)
        return [
            FieldProvenance(
                field=r["field"],
                value=r["value"],
                system=r["system"],
                external_id=r["external_id"],
                observed_at=r["observed_at"],
                rule=r["rule"],
                customer_id=self.id,
            )
            for r in rows
        ]

    @strawberry.field(
        metadata=classify("internal"), description="The source records that make up this customer, by system."
    )
    async def source_records(self, info: Info) -> list[SourceRecordView] | None:
        records = await info.context.loaders(ProfilesLoaders).source_records.load(self.id)
        return [
            SourceRecordView(
                system=r.system,
                external_id=r.external_id,
                observed_at=r.observed_at,
                attributes=r.attributes,  # type: ignore[arg-type]  # JSON is a NewType over object
                identifiers=r.claims,
                conflicts=[key for key, _ in r.conflicts],
                customer_id=self.id,
            )
            for r in records
        ]

    @strawberry.field(
        metadata=classify("internal"),
        description=(
            "Every merge, link, conflict, review decision and split of this customer's identity (and of the "
            "customers merged into it), oldest first, each with the rule and the identifiers that decided it."
        ),
    )
    async def identity_history(self, info: Info) -> list[IdentityEvent] | None:
        events = await info.context.loaders(ProfilesLoaders).identity_events.load(self.id)
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
