"""Orders from every sales channel (web shop, stores, WeChat mini-program, app) and their line items."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Index, MetaData, Numeric, text
from sqlmodel import Field, SQLModel

from core import outbox

SCHEMA = "orders"
metadata = MetaData(schema=SCHEMA)
OUTBOX = outbox.table(metadata)


class OrdersBase(SQLModel):
    metadata = metadata


class Order(OrdersBase, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_placed", "customer_id", "placed_at", "id"),
        Index("ix_orders_business_unit", "business_unit"),
        Index("ix_orders_placed", "placed_at", "id"),
        Index("ix_orders_status_placed", "status", "placed_at", "id"),
        Index("ix_orders_total", "total", "id"),
        Index(
            "ux_orders_source",
            "source_system",
            "external_id",
            unique=True,
            postgresql_where="source_system IS NOT NULL",
        ),
    )

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    customer_id: uuid.UUID = Field(
        description="Customer id from the profiles subgraph (no cross-database key)."
    )
    channel: str = Field(description="online, store, wechat_mini_program or app")
    store_code: str | None = None
    status: str = Field(description="pending, paid, shipped, delivered, cancelled or refunded")
    currency: str = Field(default="CNY", max_length=3)
    subtotal: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    discount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    shipping: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    total: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    placed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    business_unit: str = Field(
        description="Business unit the order belongs to: retail, ecommerce, service, ..."
    )
    source_system: str | None = Field(default=None, description="The system that sent it (ingestOrders)")
    external_id: str | None = Field(default=None, description="Its id in that system")
    fingerprint: str | None = Field(default=None, description="Digest of the content last received")
    updated_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=True),
        description="Last change received",
    )
    restricted: bool = Field(
        default=False,
        sa_column=Column(Boolean, nullable=False, server_default=text("false")),
        description="Kept for accounting after its customer's erasure, under a pseudonym (docs/access.md)",
    )


class OrderItem(OrdersBase, table=True):
    __tablename__ = "order_items"
    __table_args__ = (Index("ix_order_items_order", "order_id"),)

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    order_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("orders.orders.id", ondelete="CASCADE"), nullable=False)
    )
    sku: str
    name: str
    quantity: int
    unit_price: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
