"""Root fields of the tickets subgraph."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.ids import parse_int_id
from subgraphs.kit.context import Info
from subgraphs.tickets.loaders import TicketsLoaders
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
