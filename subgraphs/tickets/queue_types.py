"""GraphQL side of the ticket queues: the filter, the order and the connection of ``Query.tickets``."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from subgraphs.kit.batch import batched, each, load
from subgraphs.kit.classes import classified
from subgraphs.kit.context import Info
from subgraphs.kit.pagination import Connection, Direction
from subgraphs.tickets import queue
from subgraphs.tickets.queue import TicketQueue
from subgraphs.tickets.types import Ticket, TicketPriority, TicketStatus


@strawberry.input(description="Conditions a ticket of the queue must all meet; every ticket when omitted.")
class TicketFilter:
    status: list[TicketStatus] | None = strawberry.field(
        default=None, description="In one of these statuses."
    )
    priority: list[TicketPriority] | None = strawberry.field(
        default=None, description="Of one of these priorities."
    )
    assignee: str | None = strawberry.field(default=None, description="Assigned to this agent.")
    queue: str | None = strawberry.field(default=None, description="Waiting in this team queue.")
    breached: bool | None = strawberry.field(
        default=None,
        description=(
            "true: a target is missed, now or in the past (overdue open tickets and those answered or resolved "
            "late); false: none is."
        ),
    )
    due_before: datetime | None = strawberry.field(
        default=None,
        description="Open tickets whose next deadline (first answer or resolution) is before this.",
    )
    business_unit: list[str] | None = strawberry.field(
        default=None, description="Of one of these business units."
    )


@strawberry.enum(description="What the ticket queue is sorted by.")
class TicketSortField(Enum):
    _value_: str

    CREATED_AT = strawberry.enum_value("CREATED_AT", description="When opened; newest first by default.")
    UPDATED_AT = strawberry.enum_value("UPDATED_AT", description="Last change; latest first by default.")
    DUE_AT = strawberry.enum_value(
        "DUE_AT",
        description="Next deadline of open tickets (first answer or resolution); soonest first by default, "
        "tickets without one last.",
    )
    PRIORITY = strawberry.enum_value("PRIORITY", description="Priority; most urgent first by default.")


@strawberry.input(
    description="How the ticket queue is sorted: a field, then the ticket id, in one direction."
)
class TicketOrder:
    field: TicketSortField | None = strawberry.field(
        default=None, description="What to sort by; CREATED_AT when omitted."
    )
    direction: Direction | None = strawberry.field(
        default=None, description="Which way; the field's own default when omitted."
    )


TOTAL_COUNT = each(
    "tickets.queue.total_count",
    lambda connection, context: queue.count(context.sources.postgres.db("tickets"), connection.criteria),
)


@classified("public")
@strawberry.type(name="TicketQueueConnection", description="A page of the ticket queue (`Query.tickets`).")
class TicketConnection(Connection[Ticket]):
    criteria: strawberry.Private[TicketQueue]

    @strawberry.field(
        description="Number of tickets matching the filter, across all pages.", metadata=batched(TOTAL_COUNT)
    )
    async def total_count(self, info: Info) -> int:
        return await load(info, TOTAL_COUNT, self)
