"""business unit of tickets

Existing rows are assigned a unit from what they already say (tickets opened in a store are retail, the others
the service desk's), then the column becomes required.

Revision ID: 61bad52f419a
Revises: 3a7511352da9
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "61bad52f419a"
down_revision: str | None = "3a7511352da9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tickets",
        sa.Column("business_unit", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        schema="tickets",
    )
    op.execute(
        "UPDATE tickets.tickets SET business_unit = CASE WHEN channel = 'store' THEN 'retail' ELSE 'service' END"
    )
    op.alter_column("tickets", "business_unit", nullable=False, schema="tickets")
    op.create_index("ix_tickets_business_unit", "tickets", ["business_unit"], unique=False, schema="tickets")


def downgrade() -> None:
    op.drop_index("ix_tickets_business_unit", table_name="tickets", schema="tickets")
    op.drop_column("tickets", "business_unit", schema="tickets")
