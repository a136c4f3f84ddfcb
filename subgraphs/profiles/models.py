"""The customer golden record: one row per customer, owned by the profiles subgraph."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from core import idempotency, outbox

SCHEMA = "profiles"
metadata = MetaData(schema=SCHEMA)
OUTBOX = outbox.table(metadata)
IDEMPOTENCY_KEYS = idempotency.table(metadata)


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
    """A source record that could not be ingested, kept for review with its values masked (the errors name the
    offending values), for ``rejected_retention_days``."""

    __tablename__ = "rejected_records"
    __table_args__ = (
        Index("ix_rejected_records_system", "system", "id"),
        Index("ix_rejected_records_identifier_hashes", "identifier_hashes", postgresql_using="gin"),
        Index("ix_rejected_records_received", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    system: str
    external_id: str
    received_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )
    errors: list[dict[str, str]] = Field(sa_column=Column(JSONB, nullable=False))
    payload: dict[str, object] = Field(sa_column=Column(JSONB, nullable=False))
    identifier_hashes: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(Text), nullable=False, server_default=text("'{}'")),
        description="Keyed hashes of the identifiers it carried (``core.erasure``): an erasure finds it by them.",
    )


class SourceRecordRow(ProfilesBase, table=True):
    """A source record as last received (committed with its outbox event before the API answers), and as the
    relay last applied it to the identity graph: PostgreSQL's copy of the graph's ``SourceRecord``."""

    __tablename__ = "source_records"
    __table_args__ = (
        Index("ix_source_records_customer_id", "customer_id"),
        # An erasure forgets the subject's ids in other records' origin (subgraphs/profiles/erasure.py).
        Index("ix_source_records_origin", "origin"),
    )

    system: str = Field(primary_key=True)
    external_id: str = Field(primary_key=True)
    payload: dict[str, Any] = Field(
        sa_column=Column(JSONB, nullable=False), description="The latest version as received."
    )
    content_hash: str = Field(description="Hash of the latest version's content.")
    received_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )
    event_id: int = Field(
        sa_column=Column(BigInteger, nullable=False), description="The outbox event of the latest version."
    )
    applied_event_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, nullable=True),
        description="The event the relay applied last; pending while it is below ``event_id``.",
    )
    applied_hash: str | None = None
    observed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    attributes: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSONB), description="Validated attributes: golden-record evidence."
    )
    blocked: list[str] | None = Field(default=None, sa_column=Column(JSONB))
    features: dict[str, Any] | None = Field(
        default=None,
        sa_column=Column(JSONB),
        description="The comparison columns the matching model reads of it, as applied (``matchable.encode``).",
    )
    origin: uuid.UUID | None = Field(default=None, description="The customer it was first resolved to.")
    customer_id: uuid.UUID | None = Field(default=None, description="The customer it resolves to now.")
    status: str | None = Field(default=None, description="created, linked, merged or unchanged")
    outcome: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSONB), description="Merged ids, conflicts, blocked of the last run."
    )
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class SourceRecordClaim(ProfilesBase, table=True):
    """What the latest version of a source record claimed (``claim``: linked) or had to yield (``conflict``), like
    the graph's ``CLAIMS`` and ``CONFLICTS`` evidence."""

    __tablename__ = "source_record_claims"

    system: str = Field(primary_key=True)
    external_id: str = Field(primary_key=True)
    kind: str = Field(primary_key=True, description="claim or conflict")
    key: str = Field(primary_key=True)
    type: str
    value: str
    raw: str
    reason: str | None = None


class MatchKey(ProfilesBase, table=True):
    """A blocking key of an applied source record (``matching.blocking``): a later record sharing the key is
    compared with it. The relay finds a batch's candidates with one lookup of all its records' keys."""

    __tablename__ = "match_keys"
    __table_args__ = (Index("ix_match_keys_record", "system", "external_id"),)

    key: str = Field(primary_key=True)
    system: str = Field(primary_key=True)
    external_id: str = Field(primary_key=True)


class CustomerIdentifier(ProfilesBase, table=True):
    """The projection of each customer's current identifiers that hot reads use instead of the graph."""

    __tablename__ = "customer_identifiers"
    __table_args__ = (Index("ix_customer_identifiers_key", "key"),)

    customer_id: uuid.UUID = Field(primary_key=True)
    key: str = Field(primary_key=True, description="``type:value``, the graph's identifier key.")
    type: str
    value: str
    source: str
    observed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    rule: str = Field(
        description="``seed`` for links loaded without a source record, else the matching rule."
    )


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


class ConsentRecord(ProfilesBase, table=True):
    """One consent decision, append-only: the history of a customer's consents, the latest per (purpose, channel)
    by ``decided_at`` being in force (``consent.py``).

    A decision ingested with a source record is keyed by that record (``system``, ``external_id``): it belongs to
    whichever customer the record resolves to, and the relay fills ``customer_id`` once it has resolved it."""

    __tablename__ = "consent_records"
    __table_args__ = (
        Index("ix_consent_records_customer", "customer_id", "purpose", "channel"),
        Index("ix_consent_records_record", "system", "external_id"),
        CheckConstraint("status IN ('granted', 'denied', 'withdrawn')", name="ck_consent_records_status"),
        CheckConstraint(
            "customer_id IS NOT NULL OR (system IS NOT NULL AND external_id IS NOT NULL)",
            name="ck_consent_records_owner",
        ),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    customer_id: uuid.UUID | None = Field(
        default=None, description="Null until the relay resolves the record."
    )
    system: str | None = Field(default=None, description="The source record it came with, if any.")
    external_id: str | None = None
    purpose: str = Field(description="marketing, profiling, third_party_sharing, cross_border, sensitive_pi")
    channel: str = Field(description="sms, email, wechat, phone for marketing; any otherwise")
    status: str = Field(description="granted, denied or withdrawn")
    source: str = Field(description="The system (or API caller) that captured the decision.")
    decided_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    evidence: str | None = Field(
        default=None, description="Reference to the proof: a form, a recording, a log."
    )
    event_id: int = Field(sa_column=Column(BigInteger, nullable=False), description="Its outbox event.")
    recorded_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )


class MatchCandidate(ProfilesBase, table=True):
    """A pair of customers that evidence does not settle, for a steward to merge or keep apart (``review.py``).

    Raised by a deterministic link whose records' attributes clearly disagree, and later by the probabilistic
    matcher between its thresholds: each carries the comparisons that explain it (with their match weights when a
    model scored them). A pair is asked once: its decision is kept, and a kept-apart pair never merges again."""

    __tablename__ = "match_candidates"
    __table_args__ = (
        Index("ix_match_candidates_open", "status", "id"),
        CheckConstraint("status IN ('open', 'merged', 'kept_apart')", name="ck_match_candidates_status"),
        CheckConstraint("method IN ('deterministic', 'probabilistic')", name="ck_match_candidates_method"),
        CheckConstraint("customer_a < customer_b", name="ck_match_candidates_order"),
        UniqueConstraint("customer_a", "customer_b", name="uq_match_candidates_pair"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    customer_a: uuid.UUID = Field(description="One customer of the pair (the smaller id).")
    customer_b: uuid.UUID = Field(description="The other customer of the pair.")
    record: str | None = Field(
        default=None, description="The source record that raised it, `system:externalId`."
    )
    method: str = Field(description="deterministic or probabilistic")
    rule: str = Field(description="The rule that raised it.")
    score: float | None = Field(default=None, description="Total match weight, when a model scored the pair.")
    identifiers: list[str] = Field(
        sa_column=Column(JSONB, nullable=False), description="Identifier keys the pair shares."
    )
    comparisons: list[dict[str, Any]] = Field(
        sa_column=Column(JSONB, nullable=False),
        description="Field, level and match weight of each comparison.",
    )
    status: str = Field(
        default="open",
        sa_column=Column(Text, nullable=False, server_default=text("'open'")),
        description="open, merged or kept_apart",
    )
    created_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    decided_by: str | None = Field(
        default=None, description="The steward who decided (their token's subject)."
    )


class ErasureJob(ProfilesBase, table=True):
    """An erasure of one data subject (``eraseCustomer``): its steps run in order, each once (``erasure_steps``).

    While it runs, ``plan`` holds what the later steps need (the subject's customer ids and source-record keys,
    and the keyed hashes of its identifiers); the last step clears it, so a finished job keeps no trace of whom it
    erased but the keyed hash of the id it was asked for."""

    __tablename__ = "erasure_jobs"
    __table_args__ = (
        Index("ix_erasure_jobs_customer_hash", "customer_hash"),
        CheckConstraint("state IN ('pending', 'running', 'done', 'failed')", name="ck_erasure_jobs_state"),
    )

    id: uuid.UUID = Field(primary_key=True)
    customer_hash: str = Field(description="Keyed hash of the customer id the request named.")
    pseudonym: uuid.UUID = Field(description="The id retained rows (orders, tickets) carry instead.")
    state: str = Field(description="pending, running, done or failed")
    plan: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    requested_by: str = Field(description="Subject of the principal who asked.")
    requested_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
    )
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    event_id: int = Field(
        sa_column=Column(BigInteger, nullable=False), description="The identity stream's erase event."
    )


class ErasureStep(ProfilesBase, table=True):
    """One step of an erasure job, in one store; done once, with what it changed (``counts``)."""

    __tablename__ = "erasure_steps"
    __table_args__ = (CheckConstraint("state IN ('pending', 'done')", name="ck_erasure_steps_state"),)

    job_id: uuid.UUID = Field(primary_key=True)
    step: str = Field(primary_key=True)
    position: int = Field(sa_column=Column(Integer, nullable=False))
    store: str = Field(description="postgres:<subgraph>, neo4j, or both")
    state: str
    counts: dict[str, int] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    event_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, nullable=True),
        description="The outbox event that runs it (its attempts and last error).",
    )
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class ErasureTombstone(ProfilesBase, table=True):
    """A keyed hash of an identifier or customer id an erasure removed (``core.erasure``), never the value: later
    records carrying the identifier start a new customer instead of resurrecting the erased one."""

    __tablename__ = "erasure_tombstones"

    hash: str = Field(primary_key=True)
    kind: str = Field(description="identifier or customer")
    job_id: uuid.UUID
    erased_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
