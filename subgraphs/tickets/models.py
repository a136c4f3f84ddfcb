"""Service-desk tickets with their SLA clocks and comment threads."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Float, ForeignKey, Index, MetaData, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from core import outbox

SCHEMA = "tickets"
metadata = MetaData(schema=SCHEMA)
OUTBOX = outbox.table(metadata)


class TicketsBase(SQLModel):
    metadata = metadata


class Ticket(TicketsBase, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_customer_created", "customer_id", "created_at", "id"),
        Index("ix_tickets_open_customer", "customer_id", postgresql_where="status IN ('open', 'pending')"),
    )

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    customer_id: uuid.UUID
    subject: str
    description: str
    status: str = Field(description="open, pending, resolved or closed")
    priority: str = Field(description="low, normal, high or urgent")
    channel: str = Field(description="phone, email, wechat, web or store")
    assignee: str | None = None
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
    sla_pauses: list[list[str]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
        description="Earlier stops of the resolution clock, each [from, to]",
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
