"""create tickets tables

Revision ID: 3a7511352da9
Revises:
Create Date: 2026-11-23 08:45:30.724747
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "3a7511352da9"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("assignee", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="tickets",
    )
    op.create_index(
        "ix_tickets_customer_created",
        "tickets",
        ["customer_id", "created_at", "id"],
        unique=False,
        schema="tickets",
    )
    op.create_index(
        "ix_tickets_open_customer",
        "tickets",
        ["customer_id"],
        unique=False,
        schema="tickets",
        postgresql_where="status IN ('open', 'pending')",
    )
    op.create_table(
        "ticket_comments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        schema="tickets",
    )
    op.create_index(
        "ix_ticket_comments_ticket",
        "ticket_comments",
        ["ticket_id", "created_at"],
        unique=False,
        schema="tickets",
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_comments_ticket", table_name="ticket_comments", schema="tickets")
    op.drop_table("ticket_comments", schema="tickets")
    op.drop_index(
        "ix_tickets_open_customer",
        table_name="tickets",
        schema="tickets",
        postgresql_where="status IN ('open', 'pending')",
    )
    op.drop_index("ix_tickets_customer_created", table_name="tickets", schema="tickets")
    op.drop_table("tickets", schema="tickets")
