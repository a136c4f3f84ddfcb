"""order queues: the indexes of the root orders list

Indexes serve the root ``orders`` list: newest first, by status, by amount.

Revision ID: 39a8dfd2f50c
Revises: fe8b18edde92
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "39a8dfd2f50c"
down_revision: str | None = "fe8b18edde92"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_orders_placed", "orders", ["placed_at", "id"], schema="orders")
    op.create_index("ix_orders_status_placed", "orders", ["status", "placed_at", "id"], schema="orders")
    op.create_index("ix_orders_total", "orders", ["total", "id"], schema="orders")


def downgrade() -> None:
    for name in ("ix_orders_total", "ix_orders_status_placed", "ix_orders_placed"):
        op.drop_index(name, table_name="orders", schema="orders")
