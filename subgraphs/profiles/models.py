"""The customer golden record: one row per customer, owned by the profiles subgraph."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Column, DateTime, Index, MetaData, text
from sqlmodel import Field, SQLModel

SCHEMA = "profiles"
metadata = MetaData(schema=SCHEMA)


class ProfilesBase(SQLModel):
    metadata = metadata


class Customer(ProfilesBase, table=True):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_city", "city"),
        Index("ix_customers_loyalty_tier", "loyalty_tier"),
        Index(
            "ix_customers_full_name_trgm",
            "full_name",
            postgresql_using="gin",
            postgresql_ops={"full_name": "gin_trgm_ops"},
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    given_name: str
    family_name: str
    full_name: str = Field(
        description="Display name in the customer's own convention (family name first for Chinese)."
    )
    gender: str = Field(default="unknown", description="female, male, other or unknown")
    birth_date: date | None = None
    city: str | None = None
    region: str | None = None
    country_code: str = Field(default="CN", max_length=2)
    loyalty_tier: str = Field(default="bronze", description="bronze, silver, gold or platinum")
    loyalty_points: int = 0
    status: str = Field(default="active", description="active, inactive or blocked")
    created_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )
    updated_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )
