"""GraphQL types of the relationships subgraph and the fields it adds to ``Customer`` and ``Account``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from core.errors import BadUserInput
from graph_store.relationships.accounts import AccountNode, Contact, ContactPage
from graph_store.relationships.common import MAX_RELATED_DEPTH
from graph_store.relationships.referrals import ReferralLink
from graph_store.relationships.traversal import RelatedQuery, Step
from subgraphs.kit.classes import classified, classify, owned_by
from subgraphs.kit.context import Info
from subgraphs.kit.entities import AccountRef, CustomerRef
from subgraphs.kit.enums import IdentifierType
from subgraphs.kit.pagination import (
    AFTER_DESCRIPTION,
    Connection,
    build_connection,
    check_first,
    decode_cursor,
    encode_cursor,
    first_description,
)
from subgraphs.relationships.enums import HouseholdRole, RelationKind
from subgraphs.relationships.loaders import RelationshipsLoaders
from subgraphs.relationships.loaders import account as load_account


def account_ref(node: AccountNode) -> AccountRef:
    return AccountRef(id=strawberry.ID(node.id), node=node)


@classified("public")
@strawberry.type(description="A customer's membership of a household.")
class HouseholdMember:
    role: HouseholdRole = strawberry.field(description="The member's role in the household.")
    since: datetime | None = strawberry.field(description="When the membership was recorded as starting.")
    source: str | None = strawberry.field(description="System that reported the membership.")
    customer_id: strawberry.Private[str]

    @strawberry.field(description="The member.")
    async def customer(self, info: Info) -> CustomerRef | None:
        return await info.context.customer(self.customer_id)


@classified("public")
@owned_by("member_ids")  # a household's name is personal data of every member
@strawberry.type(description="People who live together, each with a role.")
class Household:
    id: strawberry.ID = strawberry.field(description="Household id (a UUID).")
    name: str | None = strawberry.field(
        metadata=classify("contact_pii", mask="name"),
        description="Display name of the household, when one was given.",
    )
    member_count: int = strawberry.field(description="Number of members.")
    members: list[HouseholdMember] = strawberry.field(description="Members, earliest first (at most 50).")
    member_ids: strawberry.Private[list[str]]


@classified("public")
@strawberry.type(description="A customer who is a contact of an account, with their title there.")
class AccountContact:
    title: str | None = strawberry.field(
        metadata=classify("internal"), description="Job title at the account."
    )
    since: datetime | None = strawberry.field(
        description="Since when the customer is a contact of the account."
    )
    source: str | None = strawberry.field(description="System that reported the relationship.")
    customer_id: strawberry.Private[str]
    account_id: strawberry.Private[str]

    @staticmethod
    def of(contact: Contact) -> AccountContact:
        return AccountContact(
            title=contact.title,
            since=contact.since,
            source=contact.source,
            customer_id=contact.customer_id,
            account_id=contact.account_id,
        )

    @strawberry.field(description="The contact.")
    async def customer(self, info: Info) -> CustomerRef | None:
        return await info.context.customer(self.customer_id)

    @strawberry.field(
        description="The account the customer works at (a descendant, for hierarchy-wide lists)."
    )
    async def account(self, info: Info) -> AccountRef | None:
        return await load_account(info.context, self.account_id)


@classified("public")
@strawberry.type(description="One customer referring another.")
class Referral:
    referred_at: datetime | None = strawberry.field(description="When the referral happened.")
    campaign: str | None = strawberry.field(
        metadata=classify("internal"), description="Campaign the referral came through."
    )
    source: str | None = strawberry.field(description="System that reported the referral.")
    referrer_id: strawberry.Private[str]
    referred_id: strawberry.Private[str]

    @staticmethod
    def of(link: ReferralLink) -> Referral:
        return Referral(
            referred_at=link.referred_at,
            campaign=link.campaign,
            source=link.source,
            referrer_id=link.referrer_id,
            referred_id=link.referred_id,
        )

    @strawberry.field(description="The customer who referred.")
    async def referrer(self, info: Info) -> CustomerRef | None:
        return await info.context.customer(self.referrer_id)

    @strawberry.field(description="The customer who was referred.")
    async def referred(self, info: Info) -> CustomerRef | None:
        return await info.context.customer(self.referred_id)


@classified("public")
@owned_by("customer_ids")  # an identifier of this customer and of each customer it is shared with
@strawberry.type(description="An identifier this customer shares with other customers.")
class SharedIdentifier:
    type: IdentifierType = strawberry.field(description="Kind of identifier.")
    value: str = strawberry.field(metadata=classify("identifier"), description="Normalised value.")
    shared_with_count: int = strawberry.field(
        description="Number of other customers linked to the identifier."
    )
    other_ids: strawberry.Private[list[str]]
    customer_ids: strawberry.Private[list[str]]
    """This customer and the others."""

    @strawberry.field(description="The other customers linked to the identifier, in id order (at most 50).")
    async def shared_with(self, info: Info) -> list[CustomerRef]:
        return await info.context.customers(self.other_ids)


@classified("public")
@strawberry.type(description="One hop of a path between two customers.")
class RelationshipStep:
    kind: RelationKind = strawberry.field(description="Kind of relationship of this hop.")
    via: str = strawberry.field(
        metadata=classify("internal"),
        description=(
            "What connects the two: the household id, the account id, the shared identifier as `type:value`, "
            "or `referred` / `referred_by` (seen from `from`)."
        ),
    )
    from_id: strawberry.Private[str]
    to_id: strawberry.Private[str]

    @strawberry.field(name="from", description="Customer this hop starts from.")
    async def from_customer(self, info: Info) -> CustomerRef | None:
        return await info.context.customer(self.from_id)

    @strawberry.field(name="to", description="Customer this hop reaches.")
    async def to_customer(self, info: Info) -> CustomerRef | None:
        return await info.context.customer(self.to_id)


def _step(step: Step) -> RelationshipStep:
    return RelationshipStep(kind=step.kind, via=step.via, from_id=step.from_id, to_id=step.to_id)


@classified("public")
@strawberry.type(description="A customer reachable from another, with the shortest path found.")
class RelatedCustomer:
    distance: int = strawberry.field(description="Number of hops from the starting customer.")
    path: list[RelationshipStep] = strawberry.field(description="The hops, from the starting customer on.")
    customer_id: strawberry.Private[str]

    @strawberry.field(description="The related customer.")
    async def customer(self, info: Info) -> CustomerRef | None:
        return await info.context.customer(self.customer_id)


@classified("public")
@strawberry.type(name="RelationshipsCustomerFields")
class RelationshipCustomerFields:
    id: strawberry.ID

    @strawberry.field(
        description="The household the customer belongs to, with its members; null without one."
    )
    async def household(self, info: Info) -> Household | None:
        found = await info.context.loaders(RelationshipsLoaders).household_by_customer.load(self.id)
        if found is None:
            return None
        members = [
            HouseholdMember(role=m.role, since=m.since, source=m.source, customer_id=m.customer_id)
            for m in found.members
        ]
        return Household(
            id=strawberry.ID(found.id),
            name=found.name,
            member_count=found.member_count,
            members=members,
            member_ids=[m.customer_id for m in members],
        )

    @strawberry.field(description="Accounts (companies) the customer is a contact of, earliest first.")
    async def accounts(self, info: Info) -> list[AccountContact] | None:
        contacts = await info.context.loaders(RelationshipsLoaders).accounts_by_customer.load(self.id)
        return [AccountContact.of(c) for c in contacts]

    @strawberry.field(description="Who referred this customer; null when nobody did.")
    async def referred_by(self, info: Info) -> Referral | None:
        link = await info.context.loaders(RelationshipsLoaders).referrer_by_customer.load(self.id)
        return Referral.of(link) if link is not None else None

    @strawberry.field(description="Customers this customer referred, earliest first (at most 50).")
    async def referrals(self, info: Info) -> list[Referral] | None:
        links = await info.context.loaders(RelationshipsLoaders).referrals_by_customer.load(self.id)
        return [Referral.of(link) for link in links]

    @strawberry.field(
        description="Identifiers (phones, devices, ...) this customer shares with other customers."
    )
    async def shared_identifiers(self, info: Info) -> list[SharedIdentifier] | None:
        found = await info.context.loaders(RelationshipsLoaders).shared_by_customer.load(self.id)
        return [
            SharedIdentifier(
                type=s.type,
                value=s.value,
                shared_with_count=s.other_count,
                other_ids=s.others,
                customer_ids=[self.id, *s.others],
            )
            for s in found
        ]

    @strawberry.field(
        description=(
            "Customers reachable through the chosen kinds of relationship within `maxDepth` hops (1 to 3), "
            "nearest first, each with the path that connects them."
        )
    )
    async def related(
        self,
        info: Info,
        kinds: Annotated[
            list[RelationKind] | None,
            strawberry.argument(
                description="Kinds of relationship to follow; every kind when omitted (an empty list is refused)."
            ),
        ] = None,
        max_depth: Annotated[
            int,
            strawberry.argument(
                description=f"Most hops from this customer, from 1 to {MAX_RELATED_DEPTH}; 2 when omitted."
            ),
        ] = 2,
        first: Annotated[
            int, strawberry.argument(description=first_description("related customers", 20))
        ] = 20,
    ) -> list[RelatedCustomer] | None:
        if not 1 <= max_depth <= MAX_RELATED_DEPTH:
            raise BadUserInput(f"`maxDepth` must be between 1 and {MAX_RELATED_DEPTH}, got {max_depth}")
        check_first(first, info.context.settings.max_page_size)
        if kinds is not None and not kinds:
            raise BadUserInput("`kinds` must name at least one kind of relationship")
        chosen = tuple(sorted(set(kinds))) if kinds else tuple(RelationKind)
        query = RelatedQuery(chosen, max_depth, first)
        reached = await info.context.loaders(RelationshipsLoaders).related.load((self.id, query))
        return [
            RelatedCustomer(distance=len(r.path), path=[_step(s) for s in r.path], customer_id=r.customer_id)
            for r in reached
        ]


@classified("public")
@strawberry.type(name="RelationshipsAccountFields")
class RelationshipAccountFields:
    id: strawberry.ID
    name: str = strawberry.field(description="Company name.")
    industry: str | None = strawberry.field(description="Industry the company works in.")
    city: str | None = strawberry.field(description="City of the company's main office.")
    created_at: datetime | None = strawberry.field(description="When the account was created.")

    @strawberry.field(description="The account directly above this one; null for a top-level account.")
    async def parent(self, info: Info) -> AccountRef | None:
        parent_id = getattr(self, "parent_id", None)
        return await load_account(info.context, parent_id) if parent_id else None

    @strawberry.field(description="Accounts directly below this one, by name.")
    async def children(self, info: Info) -> list[AccountRef]:
        nodes = await info.context.loaders(RelationshipsLoaders).children_by_account.load(self.id)
        return [account_ref(node) for node in nodes]

    @strawberry.field(description="Parent, grandparent and so on up to the top-level account: nearest first.")
    async def ancestors(self, info: Info) -> list[AccountRef]:
        nodes = await info.context.loaders(RelationshipsLoaders).ancestors_by_account.load(self.id)
        return [account_ref(node) for node in nodes]

    @strawberry.field(
        description=(
            "Customers who are contacts of this account (and, with `includeDescendants`, of every account below "
            "it), in customer-id order."
        )
    )
    async def contacts(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=first_description("contacts", 20))] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
        include_descendants: Annotated[
            bool,
            strawberry.argument(
                description="Also list the contacts of every account below this one; false (this account only) when omitted."
            ),
        ] = False,
    ) -> Connection[AccountContact]:
        check_first(first, info.context.settings.max_page_size)
        after_key = tuple(str(part) for part in decode_cursor(after, 2)) if after else None
        page = ContactPage(
            first + 1, (after_key[0], after_key[1]) if after_key else None, include_descendants
        )
        contacts = await info.context.loaders(RelationshipsLoaders).contacts_by_account.load((self.id, page))
        return build_connection(
            contacts,
            first,
            after is not None,
            AccountContact.of,
            lambda c: encode_cursor(c.customer_id, c.account_id),
        )


@classified("public")
@strawberry.type(name="RelationshipsAccountKeyFields")
class RelationshipAccountKeyFields:
    """Federation only: the customers other subgraphs' roll-ups ``@requires``; hidden from the API."""

    @strawberry.federation.field(
        inaccessible=True, description="Customers the account's roll-ups sum over (federation plumbing)."
    )
    async def rollup_customer_ids(self, info: Info) -> list[strawberry.ID]:
        return [strawberry.ID(i) for i in await info.context.rollup_customer_ids(self)]  # type: ignore[arg-type]
