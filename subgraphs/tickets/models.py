"""Service-desk tickets with their SLA clocks and comment threads."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    MetaData,
    SmallInteger,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from core import idempotency, outbox

SCHEMA = "tickets"
metadata = MetaData(schema=SCHEMA)
OUTBOX = outbox.table(metadata)
IDEMPOTENCY_KEYS = idempotency.table(metadata)
OPEN = "status IN ('new', 'open', 'pending')"
NEXT_DUE = (
    f"CASE WHEN {OPEN} THEN LEAST("
    "CASE WHEN first_responded_at IS NULL THEN first_response_due_at END, sla_due_at) END"
)
MISSED = (
    "coalesce(first_responded_at > first_response_due_at, false) OR coalesce(resolved_at > sla_due_at, false)"
)
RANK = "CASE priority WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 WHEN 'normal' THEN 2 ELSE 1 END"


class TicketsBase(SQLModel):
    metadata = metadata


class Ticket(TicketsBase, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_customer_created", "customer_id", "created_at", "id"),
        Index("ix_tickets_open_customer", "customer_id", postgresql_where=OPEN),
        Index("ix_tickets_business_unit", "business_unit"),
        # The queues: the next due time of open tickets, and the newest tickets of an assignee or a queue.
        Index("ix_tickets_open_due", "sla_due_at", "id", postgresql_where=OPEN),
        Index(
            "ix_tickets_open_first_response",
            "first_response_due_at",
            "id",
            postgresql_where=f"{OPEN} AND first_responded_at IS NULL",
        ),
        Index("ix_tickets_assignee_created", "assignee", "created_at", "id"),
        Index("ix_tickets_queue_created", "queue", "created_at", "id"),
        Index("ix_tickets_created", "created_at", "id"),
        Index("ix_tickets_next_due", "next_due_at", "id", postgresql_where="next_due_at IS NOT NULL"),
        Index("ix_tickets_missed", "created_at", "id", postgresql_where="missed"),
        Index("ix_tickets_priority", "priority_rank", "id"),
        Index("ix_tickets_updated", "updated_at", "id"),
        Index("ix_tickets_status_created", "status", "created_at", "id"),
    )

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    customer_id: uuid.UUID
    subject: str
    description: str
    status: str = Field(description="new, open, pending, resolved or closed (subgraphs/tickets/workflow.py)")
    priority: str = Field(description="low, normal, high or urgent")
    channel: str = Field(description="phone, email, wechat, web or store")
    assignee: str | None = None
    queue: str | None = Field(default=None, description="Team queue the ticket waits in, e.g. billing")
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    sla_due_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=True),
        description="When the ticket must be resolved; null while the resolution clock is stopped",
    )
    first_response_due_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    first_responded_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    sla_stopped_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=True),
        description="When the resolution clock stopped (pending on the customer, or resolved)",
    )
    sla_remaining_seconds: float | None = Field(
        default=None,
        sa_column=Column(Float, nullable=True),
        description="Resolution time left when it stopped",
    )
    next_due_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), Computed(NEXT_DUE, persisted=True)),
        description="Generated: the earliest deadline an open ticket still has to meet",
    )
    missed: bool | None = Field(
        default=None,
        sa_column=Column(Boolean, Computed(MISSED, persisted=True)),
        description="Generated: a target was met late",
    )
    priority_rank: int | None = Field(
        default=None, sa_column=Column(SmallInteger, Computed(RANK, persisted=True)), description="Generated"
    )
    sla_pauses: list[list[str]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
        description="Earlier stops of the resolution clock, each [from, to]",
    )
    business_unit: str = Field(
        description="Business unit the ticket belongs to: retail, ecommerce, service, ..."
    )
    restricted: bool = Field(
        default=False,
        sa_column=Column(Boolean, nullable=False, server_default=text("false")),
        description="Kept for service-level accounting after its customer's erasure, under a pseudonym",
    )


class TicketComment(TicketsBase, table=True):
    __tablename__ = "ticket_comments"
    __table_args__ = (Index("ix_ticket_comments_ticket", "ticket_id", "created_at"),)

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    ticket_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("tickets.tickets.id", ondelete="CASCADE"), nullable=False)
    )
    author: str
    body: str
    internal: bool = False
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class TicketEvent(TicketsBase, table=True):
    """The ticket's history, one row per change: opened, commented, assigned, status or priority changed."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_ticket", "ticket_id", "id"),
        Index("ix_ticket_events_customer_at", "customer_id", "at", "id"),
    )

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    ticket_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("tickets.tickets.id", ondelete="CASCADE"), nullable=False)
    )
    customer_id: uuid.UUID
    kind: str = Field(description="opened, commented, assigned, status_changed or priority_changed")
    actor: str = Field(description="Subject of the principal who made the change")
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    data: dict[str, object] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        description="What changed: from/to status or priority, assignee, queue, comment id",
    )
