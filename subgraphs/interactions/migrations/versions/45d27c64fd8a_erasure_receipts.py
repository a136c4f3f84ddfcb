"""erasure receipts

Revision ID: 45d27c64fd8a
Revises: 3c76b0247f4e
Create Date: 2026-12-07 00:43:22.366679
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "45d27c64fd8a"
down_revision: str | None = "3c76b0247f4e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_erasures",
        "outbox",
        [sa.literal_column("(payload->>'job')")],
        unique=False,
        schema="interactions",
        postgresql_where=sa.text("kind = 'customer.erased'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_outbox_erasures",
        table_name="outbox",
        schema="interactions",
        postgresql_where=sa.text("kind = 'customer.erased'"),
    )
