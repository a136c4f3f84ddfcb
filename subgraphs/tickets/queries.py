"""Root fields of the tickets subgraph."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.ids import parse_int_id
from subgraphs.kit.context import Info
from subgraphs.kit.pagination import AFTER_DESCRIPTION, check_first, first_description, page_of, sort_of
from subgraphs.tickets import queue
from subgraphs.tickets.loaders import TicketsLoaders
from subgraphs.tickets.queue import TicketQueue
from subgraphs.tickets.queue_types import TicketConnection, TicketFilter, TicketOrder, TicketSortField
from subgraphs.tickets.types import Ticket


@strawberry.type(name="TicketsQuery")
class TicketsQuery:
    @strawberry.field(description="One ticket by id; null when no ticket has that id.")
    async def ticket(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Ticket id (an integer).")],
    ) -> Ticket | None:
        row = await info.context.loaders(TicketsLoaders).ticket_by_id.load(parse_int_id(id, "ticket id"))
        return Ticket.from_row(row) if row else None

    @strawberry.field(
        description=(
            "The ticket queue across customers, for supervisors and the breached view: filtered, sorted, paged by "
            "cursor (newest first by default)."
        )
    )
    async def tickets(
        self,
        info: Info,
        filter: Annotated[
            TicketFilter | None, strawberry.argument(description="Conditions; every ticket when omitted.")
        ] = None,
        order_by: Annotated[
            TicketOrder | None, strawberry.argument(description="The order; newest first when omitted.")
        ] = None,
        first: Annotated[int, strawberry.argument(description=first_description("tickets", 20))] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> TicketConnection:
        context = info.context
        check_first(first, context.settings.max_page_size)
        given = filter or TicketFilter()
        if given.assignee is not None:
            context.require_visible("internal", "assignee")
        criteria = TicketQueue(
            now=context.now(),
            statuses=tuple(s.value for s in given.status or ()),
            priorities=tuple(p.value for p in given.priority or ()),
            assignee=given.assignee,
            queue=given.queue,
            breached=given.breached,
            due_before=given.due_before,
            business_units=tuple(given.business_unit or ()),
            rows=await context.scope.visible(),
        )
        order = order_by or TicketOrder()
        sort = sort_of(queue.SORTS, (order.field or TicketSortField.CREATED_AT).value, order.direction)
        rows = await queue.page(context.sources.postgres.db("tickets"), criteria, sort, first + 1, after)
        tickets = context.loaders(TicketsLoaders).ticket_by_id
        for row in rows:
            tickets.prime(row["id"], row)
        edges, page_info = page_of(rows, first, after is not None, Ticket.from_row, sort.cursor)
        return TicketConnection(edges=edges, page_info=page_info, criteria=criteria)
