"""restricted orders and erasure receipts

Revision ID: f4cd615725c8
Revises: 2a85e18c7737
Create Date: 2026-12-07 00:43:21.434186
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f4cd615725c8"
down_revision: str | None = "2a85e18c7737"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column("restricted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema="orders",
    )
    op.create_index(
        "ix_outbox_erasures",
        "outbox",
        [sa.literal_column("(payload->>'job')")],
        unique=False,
        schema="orders",
        postgresql_where=sa.text("kind = 'customer.erased'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_outbox_erasures",
        table_name="outbox",
        schema="orders",
        postgresql_where=sa.text("kind = 'customer.erased'"),
    )
    op.drop_column("orders", "restricted", schema="orders")
