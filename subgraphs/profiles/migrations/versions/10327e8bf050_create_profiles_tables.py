"""create profiles tables

Revision ID: 10327e8bf050
Revises:
Create Date: 2026-11-23 08:45:30.330385
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "10327e8bf050"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trigram index for name search; pg_trgm ships with PostgreSQL's contrib modules.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("given_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("family_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("gender", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("country_code", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("loyalty_tier", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("loyalty_points", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="profiles",
    )
    op.create_index("ix_customers_city", "customers", ["city"], unique=False, schema="profiles")
    op.create_index(
        "ix_customers_full_name_trgm",
        "customers",
        ["full_name"],
        unique=False,
        schema="profiles",
        postgresql_using="gin",
        postgresql_ops={"full_name": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_customers_loyalty_tier", "customers", ["loyalty_tier"], unique=False, schema="profiles"
    )


def downgrade() -> None:
    op.drop_index("ix_customers_loyalty_tier", table_name="customers", schema="profiles")
    op.drop_index(
        "ix_customers_full_name_trgm",
        table_name="customers",
        schema="profiles",
        postgresql_using="gin",
        postgresql_ops={"full_name": "gin_trgm_ops"},
    )
    op.drop_index("ix_customers_city", table_name="customers", schema="profiles")
    op.drop_table("customers", schema="profiles")
