"""Subscriptions of the tickets subgraph: ticket changes as they commit, in any API process, for queues and open
consoles. Each event is read afresh for its subscriber, under its row scope and field policies, so a subscriber
sees exactly what a query of the same ticket would show it, and nothing of tickets out of its scope."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from core.events import Notice
from core.ids import parse_int_id, parse_uuid
from subgraphs.kit.context import Info
from subgraphs.kit.owners import owner_of
from subgraphs.tickets.events import SCHEMA
from subgraphs.tickets.loaders import TicketsLoaders
from subgraphs.tickets.types import TicketEvent, TicketEventKind


@strawberry.input(
    description="Which ticket changes to hear; every change of every ticket you may see when omitted."
)
class TicketEventFilter:
    ticket_id: strawberry.ID | None = strawberry.field(
        default=None, description="Changes of this ticket only."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Changes of this customer's tickets (under any id merged into them)."
    )
    queue: str | None = strawberry.field(default=None, description="Changes of tickets in this queue.")
    assignee: str | None = strawberry.field(
        default=None, description="Changes of tickets assigned to this agent."
    )
    business_unit: list[str] | None = strawberry.field(
        default=None, description="Changes of tickets of one of these business units."
    )
    kinds: list[TicketEventKind] | None = strawberry.field(
        default=None, description="Only these kinds of change."
    )


@strawberry.type(name="TicketsSubscription")
class TicketsSubscription:
    @strawberry.subscription(
        description=(
            "Ticket changes as they happen, from any API process: each event is the change recorded in the "
            "ticket's history, read afresh with what your roles and rows allow. Filters select by the ticket's "
            "keys at the time of the change."
        )
    )
    async def ticket_events(
        self,
        info: Info,
        filter: Annotated[
            TicketEventFilter | None,
            strawberry.argument(description="Which changes; all you may see when omitted."),
        ] = None,
    ) -> AsyncGenerator[TicketEvent, None]:
        context = info.context
        given = filter or TicketEventFilter()
        if given.assignee is not None:
            context.require_visible("internal", "assignee")
        context.begin_event()
        ticket = parse_int_id(str(given.ticket_id), "ticket id") if given.ticket_id is not None else None
        customers: frozenset[str] | None = None
        if given.customer_id is not None:
            found = await context.customer(parse_uuid(str(given.customer_id)))
            customers = frozenset((await owner_of(context, found)).ids) if found is not None else frozenset()
        units = frozenset(given.business_unit) if given.business_unit else None
        kinds = frozenset(f"ticket.{k.value}" for k in given.kinds) if given.kinds else None

        def wanted(notice: Notice) -> bool:
            keys = notice.keys
            return (
                notice.schema == SCHEMA
                and (kinds is None or notice.kind in kinds)
                and (ticket is None or keys.get("ticket") == ticket)
                and (customers is None or not customers.isdisjoint(keys.get("customers", ())))
                and (given.queue is None or keys.get("queue") == given.queue)
                and (given.assignee is None or keys.get("assignee") == given.assignee)
                and (units is None or keys.get("businessUnit") in units)
            )

        async with context.notices.subscribe(wanted, context.settings.subscription_buffer) as subscription:
            async for notice in subscription.notices():
                context.begin_event(notice)
                row = await context.loaders(TicketsLoaders).event_by_id.load(int(notice.keys["event"]))
                if row is not None:  # out of the subscriber's scope: as if it never happened
                    yield TicketEvent.from_row(row)
