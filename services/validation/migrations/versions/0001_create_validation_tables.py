"""create validation tables

Revision ID: validation_0001
Revises:
Create Date: 2026-11-26 04:48:53.141440
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "validation_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("correlation_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_outbox")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_outbox_seq")),
        schema="validation",
    )
    op.create_table(
        "validation_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("ta_revision_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "QUEUED",
                "RUNNING",
                "PASSED",
                "FAILED",
                name="validation_status",
                schema="validation",
            ),
            nullable=False,
        ),
        sa.Column("results_json", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("debug_bundle_key", sa.String(length=512), nullable=True),
        sa.Column("debug_bundle_bucket", sa.String(length=63), nullable=True),
        sa.Column("splunk_container_id", sa.String(length=255), nullable=True),
        sa.Column("validation_logs", sa.Text(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds >= 0",
            name=op.f("ck_validation_runs_duration_not_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_runs")),
        schema="validation",
    )
    op.create_index(
        "ix_validation_runs_request_id_created_at",
        "validation_runs",
        ["request_id", "created_at"],
        unique=False,
        schema="validation",
    )
    op.create_index(
        op.f("ix_validation_runs_started_at"),
        "validation_runs",
        ["started_at"],
        unique=False,
        schema="validation",
    )
    op.create_index(
        op.f("ix_validation_runs_status"),
        "validation_runs",
        ["status"],
        unique=False,
        schema="validation",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_validation_runs_status"), table_name="validation_runs", schema="validation"
    )
    op.drop_index(
        op.f("ix_validation_runs_started_at"), table_name="validation_runs", schema="validation"
    )
    op.drop_index(
        "ix_validation_runs_request_id_created_at",
        table_name="validation_runs",
        schema="validation",
    )
    op.drop_table("validation_runs", schema="validation")
    op.drop_table("audit_outbox", schema="validation")
    sa.Enum(name="validation_status", schema="validation").drop(op.get_bind(), checkfirst=True)
