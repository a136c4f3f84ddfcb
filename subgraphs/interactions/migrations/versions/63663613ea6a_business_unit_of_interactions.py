"""business unit of interactions

Existing rows are assigned a unit from what they already say (store visits are retail, calls and messages
service, web, app and campaign events e-commerce), then the column becomes required.

Revision ID: 63663613ea6a
Revises: 6c035be331df
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "63663613ea6a"
down_revision: str | None = "6c035be331df"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "interactions",
        sa.Column("business_unit", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        schema="interactions",
    )
    op.execute(
        "UPDATE interactions.interactions SET business_unit = CASE WHEN kind = 'store_visit' THEN 'retail'"
        " WHEN kind IN ('call', 'email', 'wechat_message') THEN 'service' ELSE 'ecommerce' END"
    )
    op.alter_column("interactions", "business_unit", nullable=False, schema="interactions")
    op.create_index(
        "ix_interactions_business_unit",
        "interactions",
        ["business_unit"],
        unique=False,
        schema="interactions",
    )


def downgrade() -> None:
    op.drop_index("ix_interactions_business_unit", table_name="interactions", schema="interactions")
    op.drop_column("interactions", "business_unit", schema="interactions")
