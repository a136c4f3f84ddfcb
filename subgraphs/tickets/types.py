"""GraphQL types of the tickets subgraph and the ticket fields it adds to ``Customer``."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from subgraphs.kit.batch import BatchResolver, Columns, batch, batched, customer_edge, keyed, load
from subgraphs.kit.classes import classified, classify
from subgraphs.kit.compiled import rows_of, sql_form
from subgraphs.kit.context import Info, RequestContext
from subgraphs.kit.entities import AccountRef, CustomerRef
from subgraphs.kit.owners import owners_of, owners_of_customers
from subgraphs.kit.pagination import check_first, first_description
from subgraphs.tickets import compiled, sla
from subgraphs.tickets.loaders import TicketsLoaders
from subgraphs.tickets.repository import TicketPage
from subgraphs.tickets.sla import SlaState
from subgraphs.tickets.sla_types import TicketSla


def _value(member: Enum | str) -> str:
    """An enum field's stored value (rows hand strawberry the plain string)."""
    return str(member.value) if isinstance(member, Enum) else member


@strawberry.enum(
    description=(
        "Where a ticket is in its life: NEW → OPEN → PENDING ⇄ OPEN → RESOLVED → CLOSED, and RESOLVED → OPEN "
        "within the reopen window (`transitionTicket`); NEW, OPEN and PENDING count as open."
    )
)
class TicketStatus(Enum):
    _value_: str

    NEW = strawberry.enum_value("new", description="Just opened, nobody has taken it up yet; counts as open.")
    OPEN = strawberry.enum_value("open", description="Not resolved yet; counts as open.")
    PENDING = strawberry.enum_value(
        "pending", description="Waiting on the customer, the SLA clock stopped; counts as open."
    )
    RESOLVED = strawberry.enum_value("resolved", description="Resolved; no longer open.")
    CLOSED = strawberry.enum_value("closed", description="Closed; no longer open.")


@strawberry.enum(description="How urgently a ticket needs handling.")
class TicketPriority(Enum):
    _value_: str

    LOW = strawberry.enum_value("low", description="Lowest priority.")
    NORMAL = strawberry.enum_value("normal", description="Usual priority.")
    HIGH = strawberry.enum_value("high", description="Above normal priority.")
    URGENT = strawberry.enum_value("urgent", description="Highest priority.")


@strawberry.enum(description="How the customer reached the service desk.")
class TicketChannel(Enum):
    _value_: str

    PHONE = strawberry.enum_value("phone", description="A phone call.")
    EMAIL = strawberry.enum_value("email", description="An email.")
    WECHAT = strawberry.enum_value("wechat", description="A WeChat message.")
    WEB = strawberry.enum_value("web", description="The website.")
    STORE = strawberry.enum_value("store", description="In a store.")


@classified("internal")
@strawberry.type(description="A message in a ticket's thread.")
class TicketComment:
    id: strawberry.ID = strawberry.field(metadata=classify("public"), description="Comment id.")
    author: str = strawberry.field(description="Agent or customer who wrote it.")
    body: str = strawberry.field(description="Text of the comment.")
    internal: bool = strawberry.field(metadata=classify("public"), description="Visible to agents only.")
    created_at: datetime = strawberry.field(metadata=classify("public"), description="When it was written.")

    @staticmethod
    def from_row(row: Any) -> TicketComment:
        return TicketComment(
            id=row["id"],
            author=row["author"],
            body=row["body"],
            internal=row["internal"],
            created_at=row["created_at"],
        )


@strawberry.enum(description="What changed in a ticket's history.")
class TicketEventKind(Enum):
    _value_: str

    OPENED = strawberry.enum_value("opened", description="The ticket was opened (`createTicket`).")
    COMMENTED = strawberry.enum_value("commented", description="A comment was added to its thread.")
    ASSIGNED = strawberry.enum_value("assigned", description="It was given to an agent or a queue.")
    STATUS_CHANGED = strawberry.enum_value("status_changed", description="It moved to another status.")
    PRIORITY_CHANGED = strawberry.enum_value("priority_changed", description="Its priority changed.")


async def _event_comments(
    parents: Sequence[Any], context: RequestContext, columns: Columns
) -> list[TicketComment | None]:
    """``TicketEvent.comment``: the comment a COMMENTED event added (one look-up for every such event)."""
    wanted = [event.comment_id for event in parents if event.comment_id is not None]
    found = iter(await context.loaders(TicketsLoaders).comment_by_id.load_many(wanted) if wanted else [])
    comments: list[TicketComment | None] = []
    for event in parents:
        row = next(found) if event.comment_id is not None else None
        comments.append(TicketComment.from_row(row) if row is not None else None)
    return comments


EVENT_COMMENT = BatchResolver(_event_comments, "tickets.event.comment")
EVENT_TICKET = keyed(
    "tickets.event.ticket",
    lambda c: c.loaders(TicketsLoaders).ticket_by_id,
    lambda event: int(event.ticket_id),
    lambda row, _: Ticket.from_row(row) if row is not None else None,
)


def _status(value: Any) -> TicketStatus | None:
    return TicketStatus(value) if value is not None else None


def _priority(value: Any) -> TicketPriority | None:
    return TicketPriority(value) if value is not None else None


@classified("public")
@strawberry.type(description="One change in a ticket's history, with who made it.")
class TicketEvent:
    id: strawberry.ID = strawberry.field(description="Event id (increasing in the order changes happened).")
    kind: TicketEventKind = strawberry.field(description="What changed.")
    at: datetime = strawberry.field(description="When.")
    actor: str = strawberry.field(
        metadata=classify("internal"),
        description="Who: the subject of the signed-in caller that made the change.",
    )
    from_status: TicketStatus | None = strawberry.field(description="Status before, for STATUS_CHANGED.")
    to_status: TicketStatus | None = strawberry.field(
        description="Status after, for STATUS_CHANGED and OPENED."
    )
    from_priority: TicketPriority | None = strawberry.field(
        description="Priority before, for PRIORITY_CHANGED."
    )
    to_priority: TicketPriority | None = strawberry.field(
        description="Priority after, for PRIORITY_CHANGED and OPENED."
    )
    assignee: str | None = strawberry.field(
        metadata=classify("internal"), description="The agent the ticket went to, for ASSIGNED."
    )
    queue: str | None = strawberry.field(description="The queue the ticket went to, for ASSIGNED and OPENED.")
    ticket_id: strawberry.ID = strawberry.field(description="The ticket's id.")
    comment_id: strawberry.Private[int | None]

    @staticmethod
    def from_row(row: Any) -> TicketEvent:
        data = row["data"] or {}
        kind = row["kind"]
        return TicketEvent(
            id=strawberry.ID(str(row["id"])),
            kind=TicketEventKind(kind),
            at=row["at"],
            actor=row["actor"],
            from_status=_status(data.get("from")) if kind == "status_changed" else None,
            to_status=_status(data.get("to") if kind == "status_changed" else data.get("status")),
            from_priority=_priority(data.get("from")) if kind == "priority_changed" else None,
            to_priority=_priority(data.get("to") if kind == "priority_changed" else data.get("priority")),
            assignee=data.get("assignee") if kind == "assigned" else None,
            queue=data.get("queue") if kind in ("assigned", "opened") else None,
            ticket_id=strawberry.ID(str(row["ticket_id"])),
            comment_id=data.get("comment"),
        )

    @strawberry.field(description="The comment added, for COMMENTED.", metadata=batched(EVENT_COMMENT))
    async def comment(self, info: Info) -> TicketComment | None:
        return await load(info, EVENT_COMMENT, self)

    @strawberry.field(
        description="The ticket as it is now; null when it is out of your scope.",
        metadata=batched(EVENT_TICKET),
    )
    async def ticket(self, info: Info) -> Ticket | None:
        return await load(info, EVENT_TICKET, self)


COMMENTS = keyed(
    "tickets.comments",
    lambda c: c.loaders(TicketsLoaders).comments_by_ticket,
    lambda ticket: int(ticket.id),
    lambda rows, _: [TicketComment.from_row(r) for r in rows],
)
HISTORY = keyed(
    "tickets.history",
    lambda c: c.loaders(TicketsLoaders).events_by_ticket,
    lambda ticket: int(ticket.id),
    lambda rows, _: [TicketEvent.from_row(r) for r in rows],
)
CUSTOMER = customer_edge("tickets.customer", "customer_id")


@rows_of("tickets.tickets", "tickets", "customer_id")
@classified("public")
@strawberry.type(description="A service-desk ticket.")
class Ticket:
    id: strawberry.ID = strawberry.field(description="Ticket id.")
    subject: str = strawberry.field(description="One-line summary.")
    description: str = strawberry.field(
        metadata=classify("internal"), description="The customer's request as first reported."
    )
    status: TicketStatus = strawberry.field(description="Current status.")
    priority: TicketPriority = strawberry.field(description="Priority.")
    channel: TicketChannel = strawberry.field(description="Channel the ticket came through.")
    assignee: str | None = strawberry.field(
        metadata=classify("internal"), description="Agent handling the ticket, if assigned."
    )
    created_at: datetime = strawberry.field(description="When the ticket was opened.")
    updated_at: datetime = strawberry.field(description="Last change.")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved, if it was.")
    queue: str | None = strawberry.field(description="Team queue the ticket waits in, if any.")
    business_unit: str = strawberry.field(
        description="Business unit the ticket belongs to, e.g. `retail`, `ecommerce` or `service`."
    )
    restricted: bool = strawberry.field(
        description=(
            "Kept only for service-level accounting after its customer's erasure: its text and comments are gone, "
            "it belongs to no customer any more (`customer` is null), only the roles the access policy names see "
            "it, and it takes no more changes."
        )
    )
    customer_id: strawberry.Private[str]
    row: strawberry.Private[Any]
    """The ticket's row, which its SLA state is read from when an SLA field asks (most reads ask none)."""

    @functools.cached_property
    def sla_state(self) -> SlaState:
        """Read once per ticket, however many SLA fields the document selects."""
        return sla.state_of(self.row)

    @staticmethod
    def from_row(row: Any) -> Ticket:
        return Ticket(
            id=row["id"],
            subject=row["subject"],
            description=row["description"],
            status=row["status"],
            priority=row["priority"],
            channel=row["channel"],
            assignee=row["assignee"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            resolved_at=row["resolved_at"],
            queue=row["queue"],
            business_unit=row["business_unit"],
            restricted=row["restricted"],
            customer_id=row["customer_id"],
            row=row,
        )

    def _target(self, info: Info) -> sla.Target:
        return sla.policy_at(info.context.settings.sla_policy).target(
            _value(self.priority), _value(self.channel)
        )

    def _reading(self, info: Info) -> sla.SlaReading:
        return sla.read(self.sla_state, self._target(info), self.resolved_at, info.context.now())

    @strawberry.field(
        description=(
            "When the ticket must be resolved under its SLA; while the clock is stopped (pending on the customer), "
            "when it would be due if the clock ran on now."
        ),
        metadata=sql_form(compiled.SLA_DUE_AT),
    )
    def sla_due_at(self, info: Info) -> datetime:
        return sla.shown_due_at(self.sla_state, self._target(info), self.resolved_at, info.context.now())

    @strawberry.field(
        description="Whether the SLA is missed: a first answer or the resolution late (`sla` says which).",
        metadata=sql_form(compiled.SLA_BREACHED),
    )
    def sla_breached(self, info: Info) -> bool:
        return self._reading(info).breached

    @strawberry.field(description="The ticket's service level now: due times, time left, breaches.")
    def sla(self, info: Info) -> TicketSla:
        return TicketSla.of(self._reading(info))

    @strawberry.field(description="The ticket's thread, oldest first.", metadata=batched(COMMENTS))
    async def comments(self, info: Info) -> list[TicketComment]:
        return await load(info, COMMENTS, self)

    @strawberry.field(
        description="Every change to the ticket, oldest first, with who made it.", metadata=batched(HISTORY)
    )
    async def history(self, info: Info) -> list[TicketEvent]:
        return await load(info, HISTORY, self)

    @strawberry.field(description="The customer the ticket is about.", metadata=batched(CUSTOMER))
    async def customer(self, info: Info) -> CustomerRef | None:
        return await load(info, CUSTOMER, self)


@batch
async def _tickets(
    parents: Sequence[Any],
    context: RequestContext,
    columns: Columns,
    status: list[TicketStatus] | None = None,
    first: int = 50,
) -> list[list[Ticket]]:
    """``Customer.tickets``: each customer's newest tickets, under every id merged into it."""
    check_first(first, context.settings.max_page_size)
    page = TicketPage(first, tuple(s.value for s in status) if status else None)
    owners = await owners_of_customers(context, parents)
    found = await context.loaders(TicketsLoaders).tickets_by_customer.load_many(
        [(owner, page) for owner in owners]
    )
    return [[Ticket.from_row(row) for row in rows] for rows in found]


@batch
async def _open_ticket_count(parents: Sequence[Any], context: RequestContext, columns: Columns) -> list[int]:
    owners = await owners_of_customers(context, parents)
    counts: list[int] = await context.loaders(TicketsLoaders).open_count_by_customer.load_many(owners)
    return counts


@classified("public")
@strawberry.type(name="TicketsCustomerFields")
class TicketCustomerFields:
    id: strawberry.ID

    @strawberry.field(
        description="The customer's tickets, newest first, optionally only some statuses.",
        metadata=batched(_tickets, **sql_form(compiled.customer_tickets)),
    )
    async def tickets(
        self,
        info: Info,
        status: Annotated[
            list[TicketStatus] | None,
            strawberry.argument(
                description="Only tickets in one of these statuses; every status when omitted or empty."
            ),
        ] = None,
        first: Annotated[int, strawberry.argument(description=first_description("tickets", 50))] = 50,
    ) -> list[Ticket] | None:
        return await load(info, _tickets, self, status=status, first=first)

    @strawberry.field(
        description="Number of the customer's tickets that are open: NEW, OPEN or PENDING.",
        metadata=batched(_open_ticket_count, **sql_form(compiled.OPEN_TICKET_COUNT)),
    )
    async def open_ticket_count(self, info: Info) -> int | None:
        return await load(info, _open_ticket_count, self)


ACCOUNT_OPEN_TICKETS = (
    "Open tickets (NEW, OPEN or PENDING) summed over every contact of this account and of the accounts below it "
    "(each customer once)."
)


@batch
async def _account_open_tickets(
    parents: Sequence[Any], context: RequestContext, columns: Columns
) -> list[int]:
    """An account's roll-up: the open tickets of every contact of it and of the accounts below it."""

    async def one(account: AccountRef) -> int:
        customers = await owners_of(context, await context.rollup_customer_ids(account))
        return sum(await context.loaders(TicketsLoaders).open_count_by_customer.load_many(customers))

    return list(await asyncio.gather(*(one(account) for account in parents)))


@classified("public")
@strawberry.type(name="TicketsAccountFields")
class TicketAccountFields:
    @strawberry.field(description=ACCOUNT_OPEN_TICKETS, metadata=batched(_account_open_tickets))
    async def open_ticket_count(self, info: Info) -> int | None:
        return await load(info, _account_open_tickets, self)


@classified("public")
@strawberry.type(name="TicketsAccountKeyFields")
class TicketAccountFederatedFields:
    rollup_customer_ids: list[strawberry.ID] = strawberry.federation.field(
        external=True,
        description="Customers the roll-up sums over, supplied by the relationships subgraph.",
    )

    @strawberry.federation.field(
        requires=["rollupCustomerIds"],
        description=ACCOUNT_OPEN_TICKETS,
        metadata=batched(_account_open_tickets),
    )
    async def open_ticket_count(self, info: Info) -> int | None:
        return await load(info, _account_open_tickets, self)
