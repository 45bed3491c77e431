"""create requests tables

Revision ID: requests_0001
Revises:
Create Date: 2026-11-26 03:55:41.482577
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "requests_0001"
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
        schema="requests",
    )
    op.create_table(
        "requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "NEW",
                "PENDING_APPROVAL",
                "APPROVED",
                "REJECTED",
                "GENERATING_TA",
                "VALIDATING",
                "COMPLETED",
                "FAILED",
                name="request_status",
                schema="requests",
            ),
            nullable=False,
        ),
        sa.Column("source_system", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cim_required", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requests")),
        schema="requests",
    )
    op.create_index(
        "ix_requests_created_by_created_at",
        "requests",
        ["created_by", "created_at"],
        unique=False,
        schema="requests",
    )
    op.create_index(
        op.f("ix_requests_status"), "requests", ["status"], unique=False, schema="requests"
    )
    op.create_index(
        "ix_requests_status_created_at",
        "requests",
        ["status", "created_at"],
        unique=False,
        schema="requests",
    )
    op.create_table(
        "log_samples",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.String(length=255), nullable=True),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("storage_bucket", sa.String(length=63), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=True),
        sa.Column("sample_preview", sa.Text(), nullable=True),
        sa.Column("retention_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.CheckConstraint("file_size >= 0", name=op.f("ck_log_samples_file_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.requests.id"],
            name=op.f("fk_log_samples_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_samples")),
        schema="requests",
    )
    op.create_index(
        op.f("ix_log_samples_request_id"),
        "log_samples",
        ["request_id"],
        unique=False,
        schema="requests",
    )
    op.create_index(
        op.f("ix_log_samples_retention_until"),
        "log_samples",
        ["retention_until"],
        unique=False,
        schema="requests",
    )
    op.create_index(
        op.f("ix_log_samples_storage_key"),
        "log_samples",
        ["storage_key"],
        unique=False,
        schema="requests",
    )
    op.create_table(
        "ta_revisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("storage_bucket", sa.String(length=63), nullable=False),
        sa.Column(
            "generated_by",
            sa.Enum("AUTO", "MANUAL", name="ta_revision_type", schema="requests"),
            nullable=False,
        ),
        sa.Column("generated_by_user", sa.Uuid(), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("checksum", sa.String(length=64), nullable=True),
        sa.Column("config_summary", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("generation_metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
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
            "file_size IS NULL OR file_size >= 0",
            name=op.f("ck_ta_revisions_file_size_not_negative"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_ta_revisions_version_positive")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.requests.id"],
            name=op.f("fk_ta_revisions_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ta_revisions")),
        sa.UniqueConstraint("request_id", "version", name="uq_ta_revisions_request_id_version"),
        schema="requests",
    )


def downgrade() -> None:
    op.drop_table("ta_revisions", schema="requests")
    op.drop_index(op.f("ix_log_samples_storage_key"), table_name="log_samples", schema="requests")
    op.drop_index(
        op.f("ix_log_samples_retention_until"), table_name="log_samples", schema="requests"
    )
    op.drop_index(op.f("ix_log_samples_request_id"), table_name="log_samples", schema="requests")
    op.drop_table("log_samples", schema="requests")
    op.drop_index("ix_requests_status_created_at", table_name="requests", schema="requests")
    op.drop_index(op.f("ix_requests_status"), table_name="requests", schema="requests")
    op.drop_index("ix_requests_created_by_created_at", table_name="requests", schema="requests")
    op.drop_table("requests", schema="requests")
    op.drop_table("audit_outbox", schema="requests")
    sa.Enum(name="ta_revision_type", schema="requests").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="request_status", schema="requests").drop(op.get_bind(), checkfirst=True)
