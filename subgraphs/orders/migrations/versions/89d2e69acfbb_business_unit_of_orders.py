"""business unit of orders

Existing rows are assigned a unit from what they already say (store orders are retail, the others e-commerce),
then the column becomes required.

Revision ID: 89d2e69acfbb
Revises: 60e37de44efe
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "89d2e69acfbb"
down_revision: str | None = "60e37de44efe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column("business_unit", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        schema="orders",
    )
    op.execute(
        "UPDATE orders.orders SET business_unit = CASE WHEN channel = 'store' THEN 'retail' ELSE 'ecommerce' END"
    )
    op.alter_column("orders", "business_unit", nullable=False, schema="orders")
    op.create_index("ix_orders_business_unit", "orders", ["business_unit"], unique=False, schema="orders")


def downgrade() -> None:
    op.drop_index("ix_orders_business_unit", table_name="orders", schema="orders")
    op.drop_column("orders", "business_unit", schema="orders")
