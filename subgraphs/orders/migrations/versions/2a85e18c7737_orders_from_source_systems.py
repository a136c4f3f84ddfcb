"""orders from source systems: their system and id there, a fingerprint of what was received, the last change

An order a source system sends is known by (system, external id), unique: sending it again updates it, or changes
nothing when its content is the same (the fingerprint says so).

Revision ID: 2a85e18c7737
Revises: 39a8dfd2f50c
Create Date: 2026-12-02 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2a85e18c7737"
down_revision: str | None = "39a8dfd2f50c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("source_system", sa.Text(), nullable=True), schema="orders")
    op.add_column("orders", sa.Column("external_id", sa.Text(), nullable=True), schema="orders")
    op.add_column("orders", sa.Column("fingerprint", sa.Text(), nullable=True), schema="orders")
    op.add_column(
        "orders", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True), schema="orders"
    )
    op.create_index(
        "ux_orders_source",
        "orders",
        ["source_system", "external_id"],
        unique=True,
        schema="orders",
        postgresql_where=sa.text("source_system IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ux_orders_source", table_name="orders", schema="orders")
    for name in ("updated_at", "fingerprint", "external_id", "source_system"):
        op.drop_column("orders", name, schema="orders")
