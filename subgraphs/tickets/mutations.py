"""Mutations of the tickets subgraph: the ticket life cycle, each write idempotent under its key and recorded with
who made it (``writes.py`` holds the transactions)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.ids import parse_int_id
from subgraphs.kit.classes import classified
from subgraphs.kit.context import Info
from subgraphs.kit.lookup import CustomerLookup
from subgraphs.tickets import writes
from subgraphs.tickets.loaders import TicketsLoaders
from subgraphs.tickets.sla import policy_at
from subgraphs.tickets.types import (
    Ticket,
    TicketChannel,
    TicketComment,
    TicketEvent,
    TicketPriority,
    TicketStatus,
)
from subgraphs.tickets.writes import Written

IDEMPOTENCY_KEY = (
    "Any string unique to this change (a UUID, say): sending the mutation again with the same key returns the first "
    "answer and changes nothing. Keys belong to the caller; without one every call is a new change."
)


@strawberry.input(description="A new ticket.")
class CreateTicketInput:
    customer: CustomerLookup = strawberry.field(
        description="Who the ticket is about: by id or by any identifier."
    )
    channel: TicketChannel = strawberry.field(description="How the customer reached the service desk.")
    subject: str = strawberry.field(description="One-line summary (at most 200 characters).")
    description: str = strawberry.field(default="", description="The customer's request as reported.")
    priority: TicketPriority | None = strawberry.field(
        default=None, description="Priority, which sets the SLA targets; NORMAL when omitted."
    )
    business_unit: str = strawberry.field(
        default="service", description="Business unit the ticket belongs to (one you may write in)."
    )
    queue: str | None = strawberry.field(default=None, description="Team queue it starts in, if any.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="A comment on a ticket's thread.")
class AddTicketCommentInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket.")
    body: str = strawberry.field(description="Text of the comment.")
    internal: bool = strawberry.field(
        default=True,
        description="Visible to agents only (the default); false: visible to the customer, and a first response.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="Who handles a ticket: an agent, a queue, or both (what is not named stays).")
class AssignTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket.")
    assignee: str | None = strawberry.field(default=None, description="The agent, e.g. `agent.chen`.")
    queue: str | None = strawberry.field(default=None, description="The team queue, e.g. `billing`.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="A status change, through the ticket state machine.")
class TransitionTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket.")
    to: TicketStatus = strawberry.field(description="The status to move to.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="A new priority for a ticket.")
class ChangeTicketPriorityInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket.")
    priority: TicketPriority = strawberry.field(description="The new priority; the SLA due times follow.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@classified("public")
@strawberry.type(description="What a ticket write did.")
class TicketChangePayload:
    written: strawberry.Private[Written]

    @strawberry.field(description="The ticket as it is now.")
    async def ticket(self, info: Info) -> Ticket | None:
        row = await info.context.loaders(TicketsLoaders).ticket_by_id.load(self.written.ticket)
        return Ticket.from_row(row) if row is not None else None

    @strawberry.field(description="The change recorded in the ticket's history.")
    async def event(self, info: Info) -> TicketEvent | None:
        row = await info.context.loaders(TicketsLoaders).event_by_id.load(self.written.event)
        return TicketEvent.from_row(row) if row is not None else None

    @strawberry.field(description="The comment added, for `addTicketComment`.")
    async def comment(self, info: Info) -> TicketComment | None:
        if self.written.comment is None:
            return None
        row = await info.context.loaders(TicketsLoaders).comment_by_id.load(self.written.comment)
        return TicketComment.from_row(row) if row is not None else None

    @strawberry.field(
        description="True when this answers an earlier call with the same idempotency key: nothing changed now."
    )
    def replayed(self) -> bool:
        return self.written.replayed


def _payload(info: Info, written: Written) -> TicketChangePayload:
    """What a write answers; its parts are read only when selected (the written ticket row is at hand)."""
    if written.row is not None:  # a change made now (a replay changed nothing): audited as the customer's
        loaders = info.context.loaders(TicketsLoaders)
        loaders.ticket_by_id.clear(written.ticket).prime(written.ticket, written.row)
        info.context.audit.changed(info.path, (written.row["customer_id"],))
    return TicketChangePayload(written=written)


def _ticket_id(value: strawberry.ID) -> int:
    return parse_int_id(str(value), "ticket id")


@strawberry.type(name="TicketsMutation")
class TicketsMutation:
    @strawberry.mutation(
        description=(
            "Open a ticket for a customer found by id or by any identifier. It starts NEW, with its SLA clocks "
            "running from now (targets from the SLA policy by priority and channel)."
        )
    )
    async def create_ticket(
        self, info: Info, input: Annotated[CreateTicketInput, strawberry.argument(description="The ticket.")]
    ) -> TicketChangePayload:
        context = info.context
        customer = await context.find_customer(input.customer)
        written = await writes.create(
            context.sources.postgres.db("tickets"),
            context.actor,
            input.idempotency_key,
            customer_id=customer,
            channel=input.channel.value,
            subject=input.subject,
            description=input.description,
            priority=(input.priority or TicketPriority.NORMAL).value,
            business_unit=input.business_unit,
            queue=input.queue,
            policy=policy_at(context.settings.sla_policy),
            now=context.now(),
            rows=await context.scope.visible(),
        )
        return _payload(info, written)

    @strawberry.mutation(
        description="Add a comment to a ticket's thread, internal or visible to the customer."
    )
    async def add_ticket_comment(
        self,
        info: Info,
        input: Annotated[AddTicketCommentInput, strawberry.argument(description="The comment.")],
    ) -> TicketChangePayload:
        context = info.context
        written = await writes.comment(
            context.sources.postgres.db("tickets"),
            context.actor,
            input.idempotency_key,
            _ticket_id(input.ticket_id),
            input.body,
            input.internal,
            now=context.now(),
            rows=await context.scope.visible(),
        )
        return _payload(info, written)

    @strawberry.mutation(description="Give a ticket to an agent, to a queue, or both.")
    async def assign_ticket(
        self,
        info: Info,
        input: Annotated[AssignTicketInput, strawberry.argument(description="Who handles it.")],
    ) -> TicketChangePayload:
        context = info.context
        written = await writes.assign(
            context.sources.postgres.db("tickets"),
            context.actor,
            input.idempotency_key,
            _ticket_id(input.ticket_id),
            input.assignee,
            input.queue,
            now=context.now(),
            rows=await context.scope.visible(),
        )
        return _payload(info, written)

    @strawberry.mutation(
        description=(
            "Move a ticket to another status through the state machine (see `TicketStatus`). A change the machine "
            "does not allow answers `INVALID_TRANSITION` with the statuses allowed (`extensions.allowed`) and "
            "changes nothing. PENDING stops the resolution clock, OPEN runs it on; RESOLVED stops it too."
        )
    )
    async def transition_ticket(
        self,
        info: Info,
        input: Annotated[TransitionTicketInput, strawberry.argument(description="The status change.")],
    ) -> TicketChangePayload:
        context = info.context
        written = await writes.transition(
            context.sources.postgres.db("tickets"),
            context.actor,
            input.idempotency_key,
            _ticket_id(input.ticket_id),
            input.to.value,
            policy=policy_at(context.settings.sla_policy),
            now=context.now(),
            rows=await context.scope.visible(),
        )
        return _payload(info, written)

    @strawberry.mutation(description="Change a ticket's priority; its SLA due times are worked out again.")
    async def change_ticket_priority(
        self,
        info: Info,
        input: Annotated[ChangeTicketPriorityInput, strawberry.argument(description="The new priority.")],
    ) -> TicketChangePayload:
        context = info.context
        written = await writes.change_priority(
            context.sources.postgres.db("tickets"),
            context.actor,
            input.idempotency_key,
            _ticket_id(input.ticket_id),
            input.priority.value,
            policy=policy_at(context.settings.sla_policy),
            now=context.now(),
            rows=await context.scope.visible(),
        )
        return _payload(info, written)
