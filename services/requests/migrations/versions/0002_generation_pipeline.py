"""generation pipeline: attempts, failures and generation jobs

Revision ID: requests_0002
Revises: requests_0001
Create Date: 2026-12-04 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "requests_0002"
down_revision: str | None = "requests_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "requests",
        sa.Column("attempt", sa.Integer(), server_default=sa.text("0"), nullable=False),
        schema="requests",
    )
    op.add_column(
        "requests",
        sa.Column("failure", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema="requests",
    )
    op.add_column(
        "ta_revisions", sa.Column("attempt", sa.Integer(), nullable=True), schema="requests"
    )
    op.create_unique_constraint(
        op.f("uq_ta_revisions_request_id_attempt"),
        "ta_revisions",
        ["request_id", "attempt"],
        schema="requests",
    )
    op.create_table(
        "generation_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("ta_revision_id", sa.Uuid(), nullable=True),
        sa.Column("validation_run_id", sa.Uuid(), nullable=True),
        sa.Column("correlation_id", sa.Uuid(), nullable=True),
        sa.Column("tries", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "available_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.requests.id"],
            name=op.f("fk_generation_jobs_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ta_revision_id"],
            ["requests.ta_revisions.id"],
            name=op.f("fk_generation_jobs_ta_revision_id_ta_revisions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation_jobs")),
        sa.UniqueConstraint(
            "request_id", "attempt", name=op.f("uq_generation_jobs_request_id_attempt")
        ),
        schema="requests",
    )
    op.create_index(
        "ix_generation_jobs_due",
        "generation_jobs",
        ["available_at"],
        unique=False,
        schema="requests",
        postgresql_where=sa.text("finished_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_generation_jobs_due", table_name="generation_jobs", schema="requests")
    op.drop_table("generation_jobs", schema="requests")
    op.drop_constraint(
        op.f("uq_ta_revisions_request_id_attempt"), "ta_revisions", schema="requests"
    )
    op.drop_column("ta_revisions", "attempt", schema="requests")
    op.drop_column("requests", "failure", schema="requests")
    op.drop_column("requests", "attempt", schema="requests")
