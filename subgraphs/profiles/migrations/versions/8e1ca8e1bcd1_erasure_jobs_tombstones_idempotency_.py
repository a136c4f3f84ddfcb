"""erasure jobs, tombstones, idempotency keys, rejected records' identifier hashes

Revision ID: 8e1ca8e1bcd1
Revises: e7b2d41c9a53
Create Date: 2026-12-07 00:43:21.086217
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "8e1ca8e1bcd1"
down_revision: str | None = "e7b2d41c9a53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasure_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("pseudonym", sa.Uuid(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("plan", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'running', 'done', 'failed')", name="ck_erasure_jobs_state"),
        sa.PrimaryKeyConstraint("id"),
        schema="profiles",
    )
    op.create_index(
        "ix_erasure_jobs_customer_hash", "erasure_jobs", ["customer_hash"], unique=False, schema="profiles"
    )
    op.create_table(
        "erasure_steps",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("store", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "counts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'done')", name="ck_erasure_steps_state"),
        sa.PrimaryKeyConstraint("job_id", "step"),
        schema="profiles",
    )
    op.create_table(
        "erasure_tombstones",
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hash"),
        schema="profiles",
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("actor", "key"),
        schema="profiles",
    )
    op.create_index(
        "ix_outbox_erasures",
        "outbox",
        [sa.literal_column("(payload->>'job')")],
        unique=False,
        schema="profiles",
        postgresql_where=sa.text("kind = 'customer.erased'"),
    )
    op.add_column(
        "rejected_records",
        sa.Column(
            "identifier_hashes", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        schema="profiles",
    )
    op.create_index(
        "ix_rejected_records_identifier_hashes",
        "rejected_records",
        ["identifier_hashes"],
        unique=False,
        schema="profiles",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_rejected_records_received", "rejected_records", ["received_at"], unique=False, schema="profiles"
    )
    op.create_index("ix_source_records_origin", "source_records", ["origin"], unique=False, schema="profiles")


def downgrade() -> None:
    op.drop_index("ix_source_records_origin", table_name="source_records", schema="profiles")
    op.drop_index("ix_rejected_records_received", table_name="rejected_records", schema="profiles")
    op.drop_index(
        "ix_rejected_records_identifier_hashes",
        table_name="rejected_records",
        schema="profiles",
        postgresql_using="gin",
    )
    op.drop_column("rejected_records", "identifier_hashes", schema="profiles")
    op.drop_index(
        "ix_outbox_erasures",
        table_name="outbox",
        schema="profiles",
        postgresql_where=sa.text("kind = 'customer.erased'"),
    )
    op.drop_table("idempotency_keys", schema="profiles")
    op.drop_table("erasure_tombstones", schema="profiles")
    op.drop_table("erasure_steps", schema="profiles")
    op.drop_index("ix_erasure_jobs_customer_hash", table_name="erasure_jobs", schema="profiles")
    op.drop_table("erasure_jobs", schema="profiles")
