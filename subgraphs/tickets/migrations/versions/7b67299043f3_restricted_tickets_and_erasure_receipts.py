"""restricted tickets and erasure receipts

Revision ID: 7b67299043f3
Revises: 02aca90ae19b
Create Date: 2026-12-07 00:43:21.955864
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b67299043f3"
down_revision: str | None = "02aca90ae19b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_erasures",
        "outbox",
        [sa.literal_column("(payload->>'job')")],
        unique=False,
        schema="tickets",
        postgresql_where=sa.text("kind = 'customer.erased'"),
    )
    op.add_column(
        "tickets",
        sa.Column("restricted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema="tickets",
    )


def downgrade() -> None:
    op.drop_column("tickets", "restricted", schema="tickets")
    op.drop_index(
        "ix_outbox_erasures",
        table_name="outbox",
        schema="tickets",
        postgresql_where=sa.text("kind = 'customer.erased'"),
    )
