"""consent records: per customer (or source record), purpose and channel, append-only history

Revision ID: c4e1a7d93b20
Revises: ab0e8f317b7d
Create Date: 2026-12-02 02:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c4e1a7d93b20"
down_revision: str | None = "ab0e8f317b7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("system", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('granted', 'denied', 'withdrawn')", name="ck_consent_records_status"),
        sa.CheckConstraint(
            "customer_id IS NOT NULL OR (system IS NOT NULL AND external_id IS NOT NULL)",
            name="ck_consent_records_owner",
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="profiles",
    )
    op.create_index(
        "ix_consent_records_customer",
        "consent_records",
        ["customer_id", "purpose", "channel"],
        unique=False,
        schema="profiles",
    )
    op.create_index(
        "ix_consent_records_record",
        "consent_records",
        ["system", "external_id"],
        unique=False,
        schema="profiles",
    )


def downgrade() -> None:
    op.drop_table("consent_records", schema="profiles")
