"""The customer golden record: one row per customer, owned by the profiles subgraph."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Identity, Index, MetaData, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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


class AuditRecord(ProfilesBase, table=True):
    """One request that showed unmasked personal data or changed customer data (``core/audit.py``); never values.

    Append-only: the API's role may insert and read, and a trigger (in the migration) refuses updates, deletes and
    truncation to every role unless the owner's erasure job opens it for pseudonymising."""

    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_customer_ids", "customer_ids", postgresql_using="gin"),
        Index("ix_audit_records_subject", "subject", "id"),
        Index("ix_audit_records_at", "at"),
        CheckConstraint("kind IN ('read', 'mutation')", name="ck_audit_records_kind"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )
    request_id: str | None = None
    subject: str
    roles: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    operation: str | None = None
    fields: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    kind: str = Field(description="read or mutation")
    customer_ids: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    data_classes: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    endpoint: str | None = None
