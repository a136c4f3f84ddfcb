"""``customerEvents``: what happens to one customer as it commits, in any API process, for an open console: a
ticket change, an order, an interaction, a profile change, a merge, a split, or the erasure that ends it. Each event is read afresh for its
subscriber (``customer`` and ``entry`` as a query would show them now), and nothing is cached between events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from core.errors import NotFound
from core.events import Notice
from core.ids import parse_uuid
from subgraphs.interactions.timeline_types import TimelineEntry
from subgraphs.kit import timeline
from subgraphs.kit.classes import classified
from subgraphs.kit.context import Info, RequestContext
from subgraphs.kit.entities import CustomerRef
from subgraphs.kit.owners import Owner, owner_of


@strawberry.enum(description="What happened to the customer.")
class CustomerEventKind(Enum):
    _value_: str

    TICKET = strawberry.enum_value(
        "ticket", description="One of their tickets changed (`entry`, `ticketId`)."
    )
    ORDER = strawberry.enum_value(
        "order", description="An order was received or changed (`entry`, `orderId`)."
    )
    INTERACTION = strawberry.enum_value(
        "interaction", description="An interaction was logged (`entry`, `interactionId`)."
    )
    PROFILE = strawberry.enum_value("profile", description="Their golden record or identifiers changed.")
    MERGE = strawberry.enum_value(
        "merge", description="Another customer was merged into them, or they into one."
    )
    SPLIT = strawberry.enum_value("split", description="They were split (`unmergeCustomer`).")
    ERASED = strawberry.enum_value(
        "erased",
        description="They were erased (`eraseCustomer`): `customer` is null and the subscription ends.",
    )


SOURCES = {
    "tickets": (CustomerEventKind.TICKET, timeline.TICKET_EVENT, "event"),
    "orders": (CustomerEventKind.ORDER, timeline.ORDER, "order"),
    "interactions": (CustomerEventKind.INTERACTION, timeline.INTERACTION, "interaction"),
}
"""For each subgraph's notices: the event's kind, its timeline entry's kind and the key of its id."""


@classified("public")
@strawberry.type(description="Something that happened to a customer, as it committed.")
class CustomerEvent:
    kind: CustomerEventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When it was written.")
    customer: CustomerRef | None = strawberry.field(
        description="The customer as they are now (after a merge, the customer they are part of)."
    )
    entry: TimelineEntry | None = strawberry.field(
        description="The timeline entry of what changed, for TICKET, ORDER and INTERACTION."
    )
    ticket_id: strawberry.ID | None = strawberry.field(description="The ticket, for TICKET.")
    order_id: strawberry.ID | None = strawberry.field(description="The order, for ORDER.")
    interaction_id: strawberry.ID | None = strawberry.field(description="The interaction, for INTERACTION.")


def _identity_kind(notice: Notice, owner: Owner) -> CustomerEventKind | None:
    ids = set(owner.ids)
    if notice.kind == "identity.erased":
        return CustomerEventKind.ERASED if ids & set(notice.keys.get("customers", ())) else None
    if notice.kind == "identity.split":
        return CustomerEventKind.SPLIT if ids & set(notice.keys.get("customers", ())) else None
    if any(ids & set(pair) for pair in notice.keys.get("merged", ())):
        return CustomerEventKind.MERGE
    return CustomerEventKind.PROFILE if ids & set(notice.keys.get("customers", ())) else None


async def _owner(context: RequestContext, customer_id: str) -> tuple[CustomerRef, Owner]:
    found = await context.customer(customer_id)
    if found is None:
        raise NotFound("customer", customer_id)
    return found, await owner_of(context, found)


@strawberry.type(name="InteractionsSubscription")
class InteractionsSubscription:
    @strawberry.subscription(
        description=(
            "What happens to one customer, as it commits in any API process: ticket changes, orders, interactions, "
            "profile changes, merges and splits, under every id merged into them. Each event shows the customer and "
            "the entry as they are now, with what your roles and rows allow."
        )
    )
    async def customer_events(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer (a UUID).")],
    ) -> AsyncGenerator[CustomerEvent, None]:
        context = info.context
        context.begin_event()
        _, owner = await _owner(context, parse_uuid(str(customer_id)))
        watched = {"owner": owner}

        def wanted(notice: Notice) -> bool:
            current: Owner = watched["owner"]
            if notice.schema in SOURCES:
                return not set(current.ids).isdisjoint(notice.keys.get("customers", ()))
            return notice.kind.startswith("identity.") and _identity_kind(notice, current) is not None

        async with context.notices.subscribe(wanted, context.settings.subscription_buffer) as subscription:
            async for notice in subscription.notices():
                context.begin_event(notice)
                if notice.schema in SOURCES:
                    kind, entry_kind, key = SOURCES[notice.schema]
                    item = await context.cross.timeline_entry(context, entry_kind, int(notice.keys[key]))
                    if item is None:  # out of the subscriber's scope
                        continue
                    customer = await context.customer(watched["owner"].id)
                    yield CustomerEvent(
                        kind=kind,
                        at=notice.at,
                        customer=customer,
                        entry=TimelineEntry.of(item),
                        ticket_id=strawberry.ID(str(item.ticket_id)) if item.ticket_id is not None else None,
                        order_id=strawberry.ID(str(item.order_id)) if item.order_id is not None else None,
                        interaction_id=(
                            strawberry.ID(str(item.interaction_id))
                            if item.interaction_id is not None
                            else None
                        ),
                    )
                    continue
                identity = _identity_kind(notice, watched["owner"])
                if identity is None:
                    continue
                if identity is CustomerEventKind.ERASED:
                    yield CustomerEvent(
                        kind=identity,
                        at=notice.at,
                        customer=None,
                        entry=None,
                        ticket_id=None,
                        order_id=None,
                        interaction_id=None,
                    )
                    return
                # A merge or a split changes which ids are this customer's: follow them.
                try:
                    customer, watched["owner"] = await _owner(context, watched["owner"].id)
                except NotFound:
                    continue  # out of scope now
                yield CustomerEvent(
                    kind=identity,
                    at=notice.at,
                    customer=customer,
                    entry=None,
                    ticket_id=None,
                    order_id=None,
                    interaction_id=None,
                )
