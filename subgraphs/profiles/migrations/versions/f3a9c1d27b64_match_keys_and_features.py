"""blocking keys of applied source records, and the comparison columns the matching model reads of each

Revision ID: f3a9c1d27b64
Revises: 8e1ca8e1bcd1
Create Date: 2026-12-07 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f3a9c1d27b64"
down_revision: str | None = "8e1ca8e1bcd1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_keys",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("system", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key", "system", "external_id"),
        schema="profiles",
    )
    op.create_index("ix_match_keys_record", "match_keys", ["system", "external_id"], schema="profiles")
    op.add_column(
        "source_records",
        sa.Column("features", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema="profiles",
    )


def downgrade() -> None:
    op.drop_column("source_records", "features", schema="profiles")
    op.drop_table("match_keys", schema="profiles")
