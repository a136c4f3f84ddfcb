"""GraphQL types of the tickets subgraph and the ticket fields it adds to ``Customer``."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from subgraphs.kit.classes import classified, classify
from subgraphs.kit.context import Info
from subgraphs.kit.entities import AccountRef, CustomerRef, from_row
from subgraphs.kit.pagination import check_first, first_description
from subgraphs.tickets.loaders import TicketsLoaders
from subgraphs.tickets.repository import OPEN_STATUSES, TicketPage


@strawberry.enum(description="Where a ticket is in its life; OPEN and PENDING count as open.")
class TicketStatus(Enum):
    _value_: str

    OPEN = strawberry.enum_value("open", description="Not resolved yet; counts as open.")
    PENDING = strawberry.enum_value("pending", description="Not resolved yet, on hold; counts as open.")
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
    sla_due_at: datetime = strawberry.field(description="When the ticket must be resolved under its SLA.")
    business_unit: str = strawberry.field(
        description="Business unit the ticket belongs to, e.g. `retail`, `ecommerce` or `service`."
    )
    customer_id: strawberry.Private[str]

    @staticmethod
    def from_row(row: Any) -> Ticket:
        return from_row(Ticket, row)

    @strawberry.field(
        description="Whether the SLA is missed: resolved late, or still open past its due time."
    )
    def sla_breached(self) -> bool:
        if self.resolved_at is not None:
            return self.resolved_at > self.sla_due_at
        status = self.status.value if isinstance(self.status, Enum) else self.status
        return status in OPEN_STATUSES and datetime.now(UTC) > self.sla_due_at

    @strawberry.field(description="The ticket's thread, oldest first.")
    async def comments(self, info: Info) -> list[TicketComment]:
        rows = await info.context.loaders(TicketsLoaders).comments_by_ticket.load(int(self.id))
        return [
            TicketComment(
                id=r["id"],
                author=r["author"],
                body=r["body"],
                internal=r["internal"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    @strawberry.field(description="The customer the ticket is about.")
    async def customer(self, info: Info) -> CustomerRef | None:
        return await info.context.customer(self.customer_id)


@classified("public")
@strawberry.type(name="TicketsCustomerFields")
class TicketCustomerFields:
    id: strawberry.ID

    @strawberry.field(description="The customer's tickets, newest first, optionally only some statuses.")
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
        check_first(first, info.context.settings.max_page_size)
        page = TicketPage(first, tuple(s.value for s in status) if status else None)
        rows = await info.context.loaders(TicketsLoaders).tickets_by_customer.load((self.id, page))
        return [Ticket.from_row(row) for row in rows]

    @strawberry.field(description="Number of the customer's tickets that are OPEN or PENDING.")
    async def open_ticket_count(self, info: Info) -> int | None:
        return await info.context.loaders(TicketsLoaders).open_count_by_customer.load(self.id)


ACCOUNT_OPEN_TICKETS = (
    "OPEN or PENDING tickets summed over every contact of this account and of the accounts below it "
    "(each customer once)."
)


async def _account_open_tickets(account: AccountRef, info: Info) -> int:
    customers = await info.context.rollup_customer_ids(account)
    return sum(await info.context.loaders(TicketsLoaders).open_count_by_customer.load_many(customers))


@classified("public")
@strawberry.type(name="TicketsAccountFields")
class TicketAccountFields:
    @strawberry.field(description=ACCOUNT_OPEN_TICKETS)
    async def open_ticket_count(self, info: Info) -> int | None:
        return await _account_open_tickets(self, info)  # type: ignore[arg-type]


@classified("public")
@strawberry.type(name="TicketsAccountKeyFields")
class TicketAccountFederatedFields:
    rollup_customer_ids: list[strawberry.ID] = strawberry.federation.field(
        external=True,
        description="Customers the roll-up sums over, supplied by the relationships subgraph.",
    )

    @strawberry.federation.field(requires=["rollupCustomerIds"], description=ACCOUNT_OPEN_TICKETS)
    async def open_ticket_count(self, info: Info) -> int | None:
        return await _account_open_tickets(self, info)  # type: ignore[arg-type]
