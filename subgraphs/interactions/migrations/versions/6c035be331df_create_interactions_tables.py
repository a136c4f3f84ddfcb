"""create interactions tables

Revision ID: 6c035be331df
Revises:
Create Date: 2026-11-23 08:45:30.871856
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "6c035be331df"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interactions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="interactions",
    )
    op.create_index(
        "ix_interactions_customer_latest",
        "interactions",
        ["customer_id", "occurred_at", "id"],
        unique=False,
        schema="interactions",
    )


def downgrade() -> None:
    op.drop_index("ix_interactions_customer_latest", table_name="interactions", schema="interactions")
    op.drop_table("interactions", schema="interactions")
