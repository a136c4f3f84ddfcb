"""ticket workflow: history, queues, idempotency keys

The ``new`` status (open tickets now include it), the queue a ticket waits in, the history of changes, the
idempotency keys of ticket writes, and the indexes of the ticket queues.

Revision ID: 19ccb6899d27
Revises: bcc8ab52fa95
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "19ccb6899d27"
down_revision: str | None = "bcc8ab52fa95"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('new', 'open', 'pending')"


def upgrade() -> None:
    op.add_column("tickets", sa.Column("queue", sa.Text(), nullable=True), schema="tickets")
    op.drop_index("ix_tickets_open_customer", table_name="tickets", schema="tickets")
    op.create_index(
        "ix_tickets_open_customer",
        "tickets",
        ["customer_id"],
        schema="tickets",
        postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_tickets_open_due",
        "tickets",
        ["sla_due_at", "id"],
        schema="tickets",
        postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_tickets_open_first_response",
        "tickets",
        ["first_response_due_at", "id"],
        schema="tickets",
        postgresql_where=sa.text(f"{OPEN} AND first_responded_at IS NULL"),
    )
    op.create_index(
        "ix_tickets_assignee_created", "tickets", ["assignee", "created_at", "id"], schema="tickets"
    )
    op.create_index("ix_tickets_queue_created", "tickets", ["queue", "created_at", "id"], schema="tickets")
    op.create_index("ix_tickets_created", "tickets", ["created_at", "id"], schema="tickets")
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        schema="tickets",
    )
    op.create_index("ix_ticket_events_ticket", "ticket_events", ["ticket_id", "id"], schema="tickets")
    op.create_index(
        "ix_ticket_events_customer_at", "ticket_events", ["customer_id", "at", "id"], schema="tickets"
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
        schema="tickets",
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys", schema="tickets")
    op.drop_table("ticket_events", schema="tickets")
    for name in (
        "ix_tickets_created",
        "ix_tickets_queue_created",
        "ix_tickets_assignee_created",
        "ix_tickets_open_first_response",
        "ix_tickets_open_due",
        "ix_tickets_open_customer",
    ):
        op.drop_index(name, table_name="tickets", schema="tickets")
    op.create_index(
        "ix_tickets_open_customer",
        "tickets",
        ["customer_id"],
        schema="tickets",
        postgresql_where=sa.text("status IN ('open', 'pending')"),
    )
    op.execute("UPDATE tickets.tickets SET status = 'open' WHERE status = 'new'")
    op.drop_column("tickets", "queue", schema="tickets")
