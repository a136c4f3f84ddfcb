"""Mutations of the relationship graph: link and unlink customers, manage accounts and their contacts.

Every write is validated and applied in one transaction; repeating a write that is already true changes nothing
and says so (``changed: false``). A caller limited to accounts writes only within its scope: a customer or an
account out of it is refused exactly as one that does not exist.
A write about customers names them in the request's audit record, even when it found nothing to change;
writes about accounts alone (create, move) are not customer data.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from core.errors import BadUserInput
from core.ids import parse_uuid
from graph_store.relationships import accounts, households, referrals
from subgraphs.kit.classes import classified
from subgraphs.kit.context import Info
from subgraphs.kit.entities import AccountRef, CustomerRef
from subgraphs.relationships.enums import HouseholdRole
from subgraphs.relationships.loaders import account as load_account


@strawberry.enum(description="Relationships that link two customers directly.")
class CustomerLinkKind(Enum):
    _value_: str

    HOUSEHOLD = strawberry.enum_value("household", description="Membership of the same household.")
    REFERRAL = strawberry.enum_value("referral", description="One customer referred the other.")


def _source(source: str) -> str:
    if not source.strip():
        raise BadUserInput("`source` must name the system that reports the relationship")
    return source.strip()


@strawberry.input(description="A relationship between two customers.")
class LinkCustomersInput:
    kind: CustomerLinkKind = strawberry.field(
        description=(
            "HOUSEHOLD: `customerId` joins the household of `relatedCustomerId` (one is created, with "
            "`relatedCustomerId` as head, if it has none). REFERRAL: `customerId` referred `relatedCustomerId`."
        )
    )
    customer_id: strawberry.ID = strawberry.field(description="The joining member, or the referrer.")
    related_customer_id: strawberry.ID = strawberry.field(
        description="The household's member, or the referred."
    )
    role: HouseholdRole | None = strawberry.field(
        default=None, description="HOUSEHOLD only: the joining member's role (OTHER when omitted)."
    )
    household_name: str | None = strawberry.field(
        default=None, description="HOUSEHOLD only: name of the household when this link creates it."
    )
    campaign: str | None = strawberry.field(
        default=None, description="REFERRAL only: campaign it came through."
    )
    since: datetime | None = strawberry.field(
        default=None, description="When the relationship started (now when omitted)."
    )
    source: str = strawberry.field(default="api", description="System that reports the relationship.")


@strawberry.input(description="A relationship between two customers to end.")
class UnlinkCustomersInput:
    kind: CustomerLinkKind = strawberry.field(
        description=(
            "HOUSEHOLD: `customerId` leaves the household it shares with `relatedCustomerId` (a household left with "
            "one member dissolves). REFERRAL: the referral of `relatedCustomerId` by `customerId` is removed."
        )
    )
    customer_id: strawberry.ID = strawberry.field(description="The leaving member, or the referrer.")
    related_customer_id: strawberry.ID = strawberry.field(description="The other member, or the referred.")


@strawberry.input(description="A new account (company).")
class CreateAccountInput:
    name: str = strawberry.field(description="Company name.")
    industry: str | None = strawberry.field(default=None, description="Industry the company works in.")
    city: str | None = strawberry.field(default=None, description="City of the company's main office.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Account to place the new account under."
    )
    source: str = strawberry.field(default="api", description="System that reports the account.")


@strawberry.input(description="A customer who is a contact of an account.")
class AccountContactInput:
    customer_id: strawberry.ID = strawberry.field(description="The contact.")
    account_id: strawberry.ID = strawberry.field(description="The account.")
    title: str | None = strawberry.field(default=None, description="Job title at the account.")
    since: datetime | None = strawberry.field(default=None, description="Since when (now when omitted).")
    source: str = strawberry.field(default="api", description="System that reports the relationship.")


@classified("public")
@strawberry.type(description="The outcome of a relationship write.")
class RelationshipChange:
    changed: bool = strawberry.field(
        description="False when the graph already said this (the write was a no-op)."
    )
    customer_id: strawberry.Private[str | None] = None
    related_customer_id: strawberry.Private[str | None] = None
    account_id: strawberry.Private[str | None] = None

    @strawberry.field(description="The first customer of the write, as it is now.")
    async def customer(self, info: Info) -> CustomerRef | None:
        return await info.context.customer(self.customer_id) if self.customer_id else None

    @strawberry.field(description="The second customer of the write, as it is now.")
    async def related_customer(self, info: Info) -> CustomerRef | None:
        return await info.context.customer(self.related_customer_id) if self.related_customer_id else None

    @strawberry.field(description="The account of the write, as it is now.")
    async def account(self, info: Info) -> AccountRef | None:
        return await load_account(info.context, self.account_id) if self.account_id else None


@strawberry.type(name="RelationshipsMutation")
class RelationshipsMutation:
    @strawberry.mutation(description="Link two customers: a household membership or a referral.")
    async def link_customers(
        self,
        info: Info,
        input: Annotated[LinkCustomersInput, strawberry.argument(description="The relationship to record.")],
    ) -> RelationshipChange:
        a, b = parse_uuid(input.customer_id), parse_uuid(input.related_customer_id)
        graph, source = info.context.sources.graph, _source(input.source)
        rows = await info.context.scope.visible()
        if input.kind is CustomerLinkKind.HOUSEHOLD:
            role = input.role or HouseholdRole.OTHER
            changed = await households.join(
                graph, a, b, role, source, input.since, input.household_name, rows=rows
            )
        else:
            changed = await referrals.refer(graph, a, b, input.campaign, input.since, source, rows=rows)
        info.context.audit.changed(info.path, (a, b))
        return RelationshipChange(changed=changed, customer_id=a, related_customer_id=b)

    @strawberry.mutation(description="End a relationship between two customers.")
    async def unlink_customers(
        self,
        info: Info,
        input: Annotated[UnlinkCustomersInput, strawberry.argument(description="The relationship to end.")],
    ) -> RelationshipChange:
        a, b = parse_uuid(input.customer_id), parse_uuid(input.related_customer_id)
        graph = info.context.sources.graph
        rows = await info.context.scope.visible()
        if input.kind is CustomerLinkKind.HOUSEHOLD:
            changed = await households.leave(graph, a, b, rows=rows)
        else:
            changed = await referrals.unrefer(graph, a, b, rows=rows)
        info.context.audit.changed(info.path, (a, b))
        return RelationshipChange(changed=changed, customer_id=a, related_customer_id=b)

    @strawberry.mutation(description="Create an account, optionally under a parent account.")
    async def create_account(
        self,
        info: Info,
        input: Annotated[CreateAccountInput, strawberry.argument(description="The account to create.")],
    ) -> AccountRef:
        parent = parse_uuid(input.parent_id, "account id") if input.parent_id else None
        scope = info.context.scope
        scope.require_parent(parent)
        account_id = await accounts.create(
            info.context.sources.graph,
            input.name,
            input.industry,
            input.city,
            parent,
            _source(input.source),
            await scope.visible(),
        )
        scope.forget()
        created = await load_account(info.context, account_id)
        assert created is not None
        return created

    @strawberry.mutation(
        description="Move an account under another parent, or to the top with `parentId: null`; cycles are refused."
    )
    async def move_account(
        self,
        info: Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(description="The account to move.")],
        parent_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The account's new parent; null to make it a top-level account."),
        ],
        source: Annotated[
            str,
            strawberry.argument(description="System that reports the move (not blank); `api` when omitted."),
        ] = "api",
    ) -> RelationshipChange:
        account = parse_uuid(account_id, "account id")
        parent = parse_uuid(parent_id, "account id") if parent_id else None
        scope = info.context.scope
        scope.require_parent(parent)
        changed = await accounts.move(
            info.context.sources.graph, account, parent, _source(source), await scope.visible()
        )
        scope.forget()
        return RelationshipChange(changed=changed, account_id=account)

    @strawberry.mutation(description="Make a customer a contact of an account (or update their title).")
    async def add_account_contact(
        self,
        info: Info,
        input: Annotated[
            AccountContactInput,
            strawberry.argument(description="The customer, the account and the contact's title."),
        ],
    ) -> RelationshipChange:
        customer, account = parse_uuid(input.customer_id), parse_uuid(input.account_id, "account id")
        changed = await accounts.add_contact(
            info.context.sources.graph,
            customer,
            account,
            input.title,
            input.since,
            _source(input.source),
            await info.context.scope.visible(),
        )
        info.context.audit.changed(info.path, (customer,))
        return RelationshipChange(changed=changed, customer_id=customer, account_id=account)

    @strawberry.mutation(description="End a customer's contact relationship with an account.")
    async def remove_account_contact(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The contact.")],
        account_id: Annotated[strawberry.ID, strawberry.argument(description="The account.")],
    ) -> RelationshipChange:
        customer, account = parse_uuid(customer_id), parse_uuid(account_id, "account id")
        scope = info.context.scope
        changed = await accounts.remove_contact(
            info.context.sources.graph, customer, account, await scope.visible()
        )
        scope.forget()
        info.context.audit.changed(info.path, (customer,))
        return RelationshipChange(changed=changed, customer_id=customer, account_id=account)
