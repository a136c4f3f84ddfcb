"""audit records: append-only, one per request that showed personal data or changed customer data

Revision ID: 5d2f0c9a7e31
Revises: acec4d8c4eff
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5d2f0c9a7e31"
down_revision: str | None = "acec4d8c4eff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Refuses UPDATE, DELETE and TRUNCATE to every role, the owner included. The erasure hook: the owner's job sets
# `SET LOCAL c360.audit_rewrite = 'pseudonymise'` in its transaction to pseudonymise ids with an UPDATE.
APPEND_ONLY = (
    """CREATE FUNCTION profiles.audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('c360.audit_rewrite', true) = 'pseudonymise' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'profiles.audit_records is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$""",
    "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON profiles.audit_records"
    " FOR EACH ROW EXECUTE FUNCTION profiles.audit_records_append_only()",
    "CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON profiles.audit_records"
    " FOR EACH STATEMENT EXECUTE FUNCTION profiles.audit_records_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("fields", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("customer_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("data_classes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("endpoint", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.CheckConstraint("kind IN ('read', 'mutation')", name="ck_audit_records_kind"),
        sa.PrimaryKeyConstraint("id"),
        schema="profiles",
    )
    op.create_index(
        "ix_audit_records_customer_ids",
        "audit_records",
        ["customer_ids"],
        unique=False,
        schema="profiles",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_audit_records_subject", "audit_records", ["subject", "id"], unique=False, schema="profiles"
    )
    op.create_index("ix_audit_records_at", "audit_records", ["at"], unique=False, schema="profiles")
    for statement in APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("audit_records", schema="profiles")
    op.execute("DROP FUNCTION profiles.audit_records_append_only()")
