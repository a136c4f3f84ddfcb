"""GraphQL types of the relationships subgraph and the fields it adds to ``Customer`` and ``Account``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry

from core.errors import BadUserInput
from graph_store.relationships.accounts import AccountNode, Contact, ContactPage
from graph_store.relationships.common import MAX_RELATED_DEPTH
from graph_store.relationships.referrals import ReferralLink
from graph_store.relationships.traversal import RelatedQuery, Step
from subgraphs.kit.batch import (
    BatchResolver,
    Columns,
    batch,
    batched,
    customer_edge,
    customer_id,
    each,
    keyed,
    load,
)
from subgraphs.kit.classes import classified, classify, owned_by
from subgraphs.kit.context import Info, RequestContext
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


MEMBER = customer_edge("relationships.HouseholdMember.customer", "customer_id")
CONTACT = customer_edge("relationships.AccountContact.customer", "customer_id")
REFERRER = customer_edge("relationships.Referral.referrer", "referrer_id")
REFERRED = customer_edge("relationships.Referral.referred", "referred_id")
STEP_FROM = customer_edge("relationships.RelationshipStep.from_customer", "from_id")
STEP_TO = customer_edge("relationships.RelationshipStep.to_customer", "to_id")
RELATED_CUSTOMER = customer_edge("relationships.RelatedCustomer.customer", "customer_id")
ACCOUNT = keyed(
    "relationships.AccountContact.account",
    lambda c: c.loaders(RelationshipsLoaders).account_by_id,
    lambda contact: contact.account_id,
    lambda node, contact: (
        AccountRef(id=strawberry.ID(contact.account_id), node=node) if node is not None else None
    ),
)
SHARED_WITH = BatchResolver(
    lambda parents, context, columns: asyncio.gather(*(context.customers(p.other_ids) for p in parents)),
    "relationships.SharedIdentifier.shared_with",
)


@classified("public")
@strawberry.type(description="A customer's membership of a household.")
class HouseholdMember:
    role: HouseholdRole = strawberry.field(description="The member's role in the household.")
    since: datetime | None = strawberry.field(description="When the membership was recorded as starting.")
    source: str | None = strawberry.field(description="System that reported the membership.")
    customer_id: strawberry.Private[str]

    @strawberry.field(description="The member.", metadata=batched(MEMBER))
    async def customer(self, info: Info) -> CustomerRef | None:
        return await load(info, MEMBER, self)


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

    @strawberry.field(description="The contact.", metadata=batched(CONTACT))
    async def customer(self, info: Info) -> CustomerRef | None:
        return await load(info, CONTACT, self)

    @strawberry.field(
        description="The account the customer works at (a descendant, for hierarchy-wide lists).",
        metadata=batched(ACCOUNT),
    )
    async def account(self, info: Info) -> AccountRef | None:
        return await load(info, ACCOUNT, self)


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

    @strawberry.field(description="The customer who referred.", metadata=batched(REFERRER))
    async def referrer(self, info: Info) -> CustomerRef | None:
        return await load(info, REFERRER, self)

    @strawberry.field(description="The customer who was referred.", metadata=batched(REFERRED))
    async def referred(self, info: Info) -> CustomerRef | None:
        return await load(info, REFERRED, self)


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

    @strawberry.field(
        description="The other customers linked to the identifier, in id order (at most 50).",
        metadata=batched(SHARED_WITH),
    )
    async def shared_with(self, info: Info) -> list[CustomerRef]:
        return await load(info, SHARED_WITH, self)


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

    @strawberry.field(name="from", description="Customer this hop starts from.", metadata=batched(STEP_FROM))
    async def from_customer(self, info: Info) -> CustomerRef | None:
        return await load(info, STEP_FROM, self)

    @strawberry.field(name="to", description="Customer this hop reaches.", metadata=batched(STEP_TO))
    async def to_customer(self, info: Info) -> CustomerRef | None:
        return await load(info, STEP_TO, self)


def _step(step: Step) -> RelationshipStep:
    return RelationshipStep(kind=step.kind, via=step.via, from_id=step.from_id, to_id=step.to_id)


@classified("public")
@strawberry.type(description="A customer reachable from another, with the shortest path found.")
class RelatedCustomer:
    distance: int = strawberry.field(description="Number of hops from the starting customer.")
    path: list[RelationshipStep] = strawberry.field(description="The hops, from the starting customer on.")
    customer_id: strawberry.Private[str]

    @strawberry.field(description="The related customer.", metadata=batched(RELATED_CUSTOMER))
    async def customer(self, info: Info) -> CustomerRef | None:
        return await load(info, RELATED_CUSTOMER, self)


def _household(found: Any, _: Any) -> Household | None:
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


def _shared(found: list[Any], customer: Any) -> list[SharedIdentifier]:
    return [
        SharedIdentifier(
            type=s.type,
            value=s.value,
            shared_with_count=s.other_count,
            other_ids=s.others,
            customer_ids=[customer.id, *s.others],
        )
        for s in found
    ]


HOUSEHOLD = keyed(
    "relationships.household",
    lambda c: c.loaders(RelationshipsLoaders).household_by_customer,
    customer_id,
    _household,
)
ACCOUNTS = keyed(
    "relationships.accounts",
    lambda c: c.loaders(RelationshipsLoaders).accounts_by_customer,
    customer_id,
    lambda contacts, _: [AccountContact.of(c) for c in contacts],
)
REFERRED_BY = keyed(
    "relationships.referred_by",
    lambda c: c.loaders(RelationshipsLoaders).referrer_by_customer,
    customer_id,
    lambda link, _: Referral.of(link) if link is not None else None,
)
REFERRALS = keyed(
    "relationships.referrals",
    lambda c: c.loaders(RelationshipsLoaders).referrals_by_customer,
    customer_id,
    lambda links, _: [Referral.of(link) for link in links],
)
SHARED = keyed(
    "relationships.shared_identifiers",
    lambda c: c.loaders(RelationshipsLoaders).shared_by_customer,
    customer_id,
    _shared,
)


@batch
async def _related(
    parents: Sequence[Any],
    context: RequestContext,
    columns: Columns,
    kinds: list[RelationKind] | None = None,
    max_depth: int = 2,
    first: int = 20,
) -> list[list[RelatedCustomer]]:
    """``Customer.related``: a walk of the graph from every customer at once."""
    if not 1 <= max_depth <= MAX_RELATED_DEPTH:
        raise BadUserInput(f"`maxDepth` must be between 1 and {MAX_RELATED_DEPTH}, got {max_depth}")
    check_first(first, context.settings.max_page_size)
    if kinds is not None and not kinds:
        raise BadUserInput("`kinds` must name at least one kind of relationship")
    chosen = tuple(sorted(set(kinds))) if kinds else tuple(RelationKind)
    query = RelatedQuery(chosen, max_depth, first)
    found = await context.loaders(RelationshipsLoaders).related.load_many(
        [(str(p.id), query) for p in parents]
    )
    return [
        [
            RelatedCustomer(distance=len(r.path), path=[_step(s) for s in r.path], customer_id=r.customer_id)
            for r in reached
        ]
        for reached in found
    ]


@classified("public")
@strawberry.type(name="RelationshipsCustomerFields")
class RelationshipCustomerFields:
    id: strawberry.ID

    @strawberry.field(
        description="The household the customer belongs to, with its members; null without one.",
        metadata=batched(HOUSEHOLD),
    )
    async def household(self, info: Info) -> Household | None:
        return await load(info, HOUSEHOLD, self)

    @strawberry.field(
        description="Accounts (companies) the customer is a contact of, earliest first.",
        metadata=batched(ACCOUNTS),
    )
    async def accounts(self, info: Info) -> list[AccountContact] | None:
        return await load(info, ACCOUNTS, self)

    @strawberry.field(
        description="Who referred this customer; null when nobody did.", metadata=batched(REFERRED_BY)
    )
    async def referred_by(self, info: Info) -> Referral | None:
        return await load(info, REFERRED_BY, self)

    @strawberry.field(
        description="Customers this customer referred, earliest first (at most 50).",
        metadata=batched(REFERRALS),
    )
    async def referrals(self, info: Info) -> list[Referral] | None:
        return await load(info, REFERRALS, self)

    @strawberry.field(
        description="Identifiers (phones, devices, ...) this customer shares with other customers.",
        metadata=batched(SHARED),
    )
    async def shared_identifiers(self, info: Info) -> list[SharedIdentifier] | None:
        return await load(info, SHARED, self)

    @strawberry.field(
        description=(
            "Customers reachable through the chosen kinds of relationship within `maxDepth` hops (1 to 3), "
            "nearest first, each with the path that connects them."
        ),
        metadata=batched(_related),
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
        return await load(info, _related, self, kinds=kinds, max_depth=max_depth, first=first)


@batch
async def _parent(
    parents: Sequence[Any], context: RequestContext, columns: Columns
) -> list[AccountRef | None]:
    """``Account.parent``: the accounts above, loaded together (none for a top-level account)."""
    ids = [getattr(account, "parent_id", None) for account in parents]
    return list(
        await asyncio.gather(*(_no_account() if i is None else load_account(context, i) for i in ids))
    )


async def _no_account() -> AccountRef | None:
    return None


CHILDREN = keyed(
    "relationships.Account.children",
    lambda c: c.loaders(RelationshipsLoaders).children_by_account,
    lambda account: str(account.id),
    lambda nodes, _: [account_ref(node) for node in nodes],
)
ANCESTORS = keyed(
    "relationships.Account.ancestors",
    lambda c: c.loaders(RelationshipsLoaders).ancestors_by_account,
    lambda account: str(account.id),
    lambda nodes, _: [account_ref(node) for node in nodes],
)


def _contact_cursor(contact: Contact) -> str:
    return encode_cursor(contact.customer_id, contact.account_id)


@batch
async def _contacts(
    parents: Sequence[Any],
    context: RequestContext,
    columns: Columns,
    first: int = 20,
    after: str | None = None,
    include_descendants: bool = False,
) -> list[Connection[AccountContact]]:
    """``Account.contacts``: a page of contacts per account."""
    check_first(first, context.settings.max_page_size)
    after_key = tuple(str(part) for part in decode_cursor(after, 2)) if after else None
    page = ContactPage(first + 1, (after_key[0], after_key[1]) if after_key else None, include_descendants)
    found = await context.loaders(RelationshipsLoaders).contacts_by_account.load_many(
        [(str(account.id), page) for account in parents]
    )
    return [
        build_connection(contacts, first, after is not None, AccountContact.of, _contact_cursor)
        for contacts in found
    ]


@classified("public")
@strawberry.type(name="RelationshipsAccountFields")
class RelationshipAccountFields:
    id: strawberry.ID
    name: str = strawberry.field(description="Company name.")
    industry: str | None = strawberry.field(description="Industry the company works in.")
    city: str | None = strawberry.field(description="City of the company's main office.")
    created_at: datetime | None = strawberry.field(description="When the account was created.")

    @strawberry.field(
        description="The account directly above this one; null for a top-level account.",
        metadata=batched(_parent),
    )
    async def parent(self, info: Info) -> AccountRef | None:
        return await load(info, _parent, self)

    @strawberry.field(description="Accounts directly below this one, by name.", metadata=batched(CHILDREN))
    async def children(self, info: Info) -> list[AccountRef]:
        return await load(info, CHILDREN, self)

    @strawberry.field(
        description="Parent, grandparent and so on up to the top-level account: nearest first.",
        metadata=batched(ANCESTORS),
    )
    async def ancestors(self, info: Info) -> list[AccountRef]:
        return await load(info, ANCESTORS, self)

    @strawberry.field(
        description=(
            "Customers who are contacts of this account (and, with `includeDescendants`, of every account below "
            "it), in customer-id order."
        ),
        metadata=batched(_contacts),
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
        return await load(
            info, _contacts, self, first=first, after=after, include_descendants=include_descendants
        )


async def _rollup_ids(account: Any, context: RequestContext) -> list[strawberry.ID]:
    return [strawberry.ID(i) for i in await context.rollup_customer_ids(account)]


ROLLUP_IDS = each("relationships.Account.rollup_customer_ids", _rollup_ids)


@classified("public")
@strawberry.type(name="RelationshipsAccountKeyFields")
class RelationshipAccountKeyFields:
    """Federation only: the customers other subgraphs' roll-ups ``@requires``; hidden from the API."""

    @strawberry.federation.field(
        inaccessible=True,
        description="Customers the account's roll-ups sum over (federation plumbing).",
        metadata=batched(ROLLUP_IDS),
    )
    async def rollup_customer_ids(self, info: Info) -> list[strawberry.ID]:
        return await load(info, ROLLUP_IDS, self)
