"""The customer timeline: calls, emails, WeChat messages, store visits, web/app events and campaign clicks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from core import idempotency, outbox

SCHEMA = "interactions"
metadata = MetaData(schema=SCHEMA)
OUTBOX = outbox.table(metadata)
IDEMPOTENCY_KEYS = idempotency.table(metadata)


class InteractionsBase(SQLModel):
    metadata = metadata


class Interaction(InteractionsBase, table=True):
    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_customer_latest", "customer_id", "occurred_at", "id"),
        Index("ix_interactions_business_unit", "business_unit"),
        Index("ix_interactions_ticket", "ticket_id", postgresql_where="ticket_id IS NOT NULL"),
    )

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    customer_id: uuid.UUID
    kind: str = Field(
        description="call, email, wechat_message, store_visit, web_event, app_event or campaign_click"
    )
    channel: str
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    summary: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    business_unit: str = Field(
        description="Business unit the interaction belongs to: retail, ecommerce, service, ..."
    )
    duration_seconds: int | None = Field(default=None, description="How long a call or visit lasted")
    ticket_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, nullable=True),
        description="The ticket it concerns, if any",
    )
    logged_by: str | None = Field(
        default=None, description="Who logged it (logInteraction), if logged by hand"
    )
