"""ticket queues: the next due time, missed targets and the priority's rank, stored for the queues' indexes

Generated columns (PostgreSQL keeps them up to date on every write): ``next_due_at``, the earliest deadline an open
ticket still has to meet; ``missed``, a target met late; ``priority_rank``, for sorting by priority. Whether a ticket
is breached now is ``next_due_at < now OR missed``, which the indexes below answer.

Revision ID: 02aca90ae19b
Revises: 19ccb6899d27
Create Date: 2026-12-02 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "02aca90ae19b"
down_revision: str | None = "19ccb6899d27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEXT_DUE = (
    "CASE WHEN status IN ('new', 'open', 'pending') THEN LEAST("
    "CASE WHEN first_responded_at IS NULL THEN first_response_due_at END, sla_due_at) END"
)
MISSED = (
    "coalesce(first_responded_at > first_response_due_at, false) OR coalesce(resolved_at > sla_due_at, false)"
)
RANK = "CASE priority WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 WHEN 'normal' THEN 2 ELSE 1 END"


def upgrade() -> None:
    op.add_column(
        "tickets",
        sa.Column("next_due_at", sa.DateTime(timezone=True), sa.Computed(NEXT_DUE, persisted=True)),
        schema="tickets",
    )
    op.add_column(
        "tickets", sa.Column("missed", sa.Boolean(), sa.Computed(MISSED, persisted=True)), schema="tickets"
    )
    op.add_column(
        "tickets",
        sa.Column("priority_rank", sa.SmallInteger(), sa.Computed(RANK, persisted=True)),
        schema="tickets",
    )
    op.create_index(
        "ix_tickets_next_due",
        "tickets",
        ["next_due_at", "id"],
        schema="tickets",
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_tickets_missed",
        "tickets",
        ["created_at", "id"],
        schema="tickets",
        postgresql_where=sa.text("missed"),
    )
    op.create_index("ix_tickets_priority", "tickets", ["priority_rank", "id"], schema="tickets")
    op.create_index("ix_tickets_updated", "tickets", ["updated_at", "id"], schema="tickets")
    op.create_index("ix_tickets_status_created", "tickets", ["status", "created_at", "id"], schema="tickets")


def downgrade() -> None:
    for name in (
        "ix_tickets_status_created",
        "ix_tickets_updated",
        "ix_tickets_priority",
        "ix_tickets_missed",
        "ix_tickets_next_due",
    ):
        op.drop_index(name, table_name="tickets", schema="tickets")
    for name in ("priority_rank", "missed", "next_due_at"):
        op.drop_column("tickets", name, schema="tickets")
