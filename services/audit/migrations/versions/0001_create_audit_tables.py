"""create audit tables: audit_logs, append-only by trigger and by privileges

Revision ID: audit_0001
Revises:
Create Date: 2026-11-26 03:54:33.764735
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "audit_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WRITER_ROLE = "tagen_audit_writer"

# The role is cluster-wide (other databases of the server may use it): created when missing,
# never dropped here. The migrating user becomes a member so that the service, connecting as
# that user, may SET ROLE to it (superusers may anyway).
CREATE_WRITER_ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{WRITER_ROLE}') THEN
        BEGIN
            CREATE ROLE {WRITER_ROLE} NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created meanwhile by a concurrent migration
        END;
    END IF;
    IF NOT pg_has_role(current_user, '{WRITER_ROLE}', 'MEMBER') THEN
        EXECUTE format('GRANT {WRITER_ROLE} TO %I', current_user);
    END IF;
END
$$;
"""

REFUSE_CHANGE_FUNCTION = """
CREATE FUNCTION audit.refuse_audit_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit.audit_logs is append-only: % is not allowed', TG_OP;
END
$$;
"""

# Statement level, so that it fires even when an UPDATE or DELETE matches no row.
REFUSE_CHANGE_TRIGGER = """
CREATE TRIGGER audit_logs_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON audit.audit_logs
FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_audit_log_change();
"""


def upgrade() -> None:
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "CREATE",
                "UPDATE",
                "DELETE",
                "APPROVE",
                "REJECT",
                "DOWNLOAD",
                "UPLOAD",
                "LOGIN",
                "LOGOUT",
                name="audit_action",
                schema="audit",
            ),
            nullable=False,
        ),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("correlation_id", sa.Uuid(), nullable=True),
        sa.Column(
            "timestamp",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "details IS NULL OR jsonb_typeof(details) = 'object'",
            name=op.f("ck_audit_logs_details_object"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
        schema="audit",
    )
    op.create_index(
        op.f("ix_audit_logs_action"), "audit_logs", ["action"], unique=False, schema="audit"
    )
    op.create_index(
        op.f("ix_audit_logs_correlation_id"),
        "audit_logs",
        ["correlation_id"],
        unique=False,
        schema="audit",
    )
    op.create_index(
        op.f("ix_audit_logs_entity_id"), "audit_logs", ["entity_id"], unique=False, schema="audit"
    )
    op.create_index(
        "ix_audit_logs_entity_type_entity_id",
        "audit_logs",
        ["entity_type", "entity_id"],
        unique=False,
        schema="audit",
    )
    op.create_index(
        op.f("ix_audit_logs_timestamp"), "audit_logs", ["timestamp"], unique=False, schema="audit"
    )
    op.create_index(
        "ix_audit_logs_user_id_timestamp",
        "audit_logs",
        ["user_id", "timestamp"],
        unique=False,
        schema="audit",
    )
    op.execute(REFUSE_CHANGE_FUNCTION)
    op.execute(REFUSE_CHANGE_TRIGGER)
    op.execute(CREATE_WRITER_ROLE)
    op.execute(f"GRANT USAGE ON SCHEMA audit TO {WRITER_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON audit.audit_logs TO {WRITER_ROLE}")


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON audit.audit_logs FROM {WRITER_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA audit FROM {WRITER_ROLE}")
    op.execute("DROP TRIGGER audit_logs_append_only ON audit.audit_logs")
    op.execute("DROP FUNCTION audit.refuse_audit_log_change()")
    op.drop_index("ix_audit_logs_user_id_timestamp", table_name="audit_logs", schema="audit")
    op.drop_index(op.f("ix_audit_logs_timestamp"), table_name="audit_logs", schema="audit")
    op.drop_index("ix_audit_logs_entity_type_entity_id", table_name="audit_logs", schema="audit")
    op.drop_index(op.f("ix_audit_logs_entity_id"), table_name="audit_logs", schema="audit")
    op.drop_index(op.f("ix_audit_logs_correlation_id"), table_name="audit_logs", schema="audit")
    op.drop_index(op.f("ix_audit_logs_action"), table_name="audit_logs", schema="audit")
    op.drop_table("audit_logs", schema="audit")
    sa.Enum(name="audit_action", schema="audit").drop(op.get_bind(), checkfirst=True)
