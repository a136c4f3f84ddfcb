"""SLA state of tickets

Both service-level clocks of a ticket: the first-response due time and when it was met, the resolution due time
(null while the clock is stopped), when the clock stopped and the time it had left then, and the earlier stops.
Existing tickets keep their resolution due time and have no first-response target.

Revision ID: bcc8ab52fa95
Revises: c361e40a9d58
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "bcc8ab52fa95"
down_revision: str | None = "c361e40a9d58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for name in ("first_response_due_at", "first_responded_at", "sla_stopped_at"):
        op.add_column("tickets", sa.Column(name, sa.DateTime(timezone=True), nullable=True), schema="tickets")
    op.add_column("tickets", sa.Column("sla_remaining_seconds", sa.Float(), nullable=True), schema="tickets")
    op.add_column(
        "tickets",
        sa.Column("sla_pauses", postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        schema="tickets",
    )
    op.alter_column("tickets", "sla_due_at", nullable=True, schema="tickets")


def downgrade() -> None:
    op.execute("UPDATE tickets.tickets SET sla_due_at = coalesce(sla_due_at, sla_stopped_at, created_at)")
    op.alter_column("tickets", "sla_due_at", nullable=False, schema="tickets")
    for name in (
        "sla_pauses",
        "sla_remaining_seconds",
        "sla_stopped_at",
        "first_responded_at",
        "first_response_due_at",
    ):
        op.drop_column("tickets", name, schema="tickets")
