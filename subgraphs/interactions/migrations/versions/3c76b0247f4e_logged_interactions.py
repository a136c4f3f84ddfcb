"""logged interactions: duration, ticket link, who logged it, idempotency keys

Interactions an agent or a source system logs record their duration, the ticket they concern, and who logged them.

Revision ID: 3c76b0247f4e
Revises: bc9f0bd4a011
Create Date: 2026-12-02 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3c76b0247f4e"
down_revision: str | None = "bc9f0bd4a011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "interactions", sa.Column("duration_seconds", sa.Integer(), nullable=True), schema="interactions"
    )
    op.add_column(
        "interactions", sa.Column("ticket_id", sa.BigInteger(), nullable=True), schema="interactions"
    )
    op.add_column("interactions", sa.Column("logged_by", sa.Text(), nullable=True), schema="interactions")
    op.create_index(
        "ix_interactions_ticket",
        "interactions",
        ["ticket_id"],
        schema="interactions",
        postgresql_where=sa.text("ticket_id IS NOT NULL"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("actor", "key"),
        schema="interactions",
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys", schema="interactions")
    op.drop_index("ix_interactions_ticket", table_name="interactions", schema="interactions")
    for name in ("logged_by", "ticket_id", "duration_seconds"):
        op.drop_column("interactions", name, schema="interactions")
