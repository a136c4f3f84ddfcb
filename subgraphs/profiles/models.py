"""The customer golden record: one row per customer, owned by the profiles subgraph."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Column, DateTime, Index, MetaData, text
from sqlalchemy.dialects.postgresql import JSONB
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


class CustomerAlias(ProfilesBase, table=True):
    """An id merged into another customer: it keeps resolving, to the survivor."""

    __tablename__ = "customer_aliases"
    __table_args__ = (Index("ix_customer_aliases_customer_id", "customer_id"),)

    alias_id: uuid.UUID = Field(primary_key=True)
    customer_id: uuid.UUID = Field(description="The surviving customer.")
    merged_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class FieldProvenance(ProfilesBase, table=True):
    """Where each golden-record field's value came from, and the survivorship rule that chose it."""

    __tablename__ = "field_provenance"

    customer_id: uuid.UUID = Field(primary_key=True)
    field: str = Field(primary_key=True)
    value: str | None = None
    system: str
    external_id: str
    observed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    rule: str


class RejectedRecord(ProfilesBase, table=True):
    """A source record that could not be ingested, kept whole for review."""

    __tablename__ = "rejected_records"
    __table_args__ = (Index("ix_rejected_records_system", "system", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    system: str
    external_id: str
    received_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )
    errors: list[dict[str, str]] = Field(sa_column=Column(JSONB, nullable=False))
    payload: dict[str, object] = Field(sa_column=Column(JSONB, nullable=False))
