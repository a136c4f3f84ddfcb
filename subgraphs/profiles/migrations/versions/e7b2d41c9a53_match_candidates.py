"""match candidates: the stewards' review queue of customer pairs that evidence does not settle

Revision ID: e7b2d41c9a53
Revises: c4e1a7d93b20
Create Date: 2026-12-03 01:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e7b2d41c9a53"
down_revision: str | None = "c4e1a7d93b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_candidates",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("customer_a", sa.Uuid(), nullable=False),
        sa.Column("customer_b", sa.Uuid(), nullable=False),
        sa.Column("record", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("identifiers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("comparisons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'merged', 'kept_apart')", name="ck_match_candidates_status"),
        sa.CheckConstraint("method IN ('deterministic', 'probabilistic')", name="ck_match_candidates_method"),
        sa.CheckConstraint("customer_a < customer_b", name="ck_match_candidates_order"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_a", "customer_b", name="uq_match_candidates_pair"),
        schema="profiles",
    )
    op.create_index(
        "ix_match_candidates_open", "match_candidates", ["status", "id"], unique=False, schema="profiles"
    )


def downgrade() -> None:
    op.drop_table("match_candidates", schema="profiles")
