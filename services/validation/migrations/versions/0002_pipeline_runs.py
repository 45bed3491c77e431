"""pipeline runs: attempts, leases, one active run per revision, verdict outbox

Revision ID: validation_0002
Revises: validation_0001
Create Date: 2026-12-04 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "validation_0002"
down_revision: str | None = "validation_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "validation"


def upgrade() -> None:
    op.add_column(
        "validation_runs",
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "validation_runs",
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.add_column(
        "validation_runs", sa.Column("correlation_id", sa.Uuid(), nullable=True), schema=SCHEMA
    )
    op.create_index(
        "uq_validation_runs_active_revision",
        "validation_runs",
        ["ta_revision_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status IN ('QUEUED', 'RUNNING')"),
    )
    op.create_table(
        "verdict_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("ta_revision_id", sa.Uuid(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("correlation_id", sa.Uuid(), nullable=True),
        sa.Column("tries", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "available_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verdict_outbox")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_verdict_outbox_available_at"),
        "verdict_outbox",
        ["available_at"],
        unique=False,
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_verdict_outbox_available_at"), table_name="verdict_outbox", schema=SCHEMA
    )
    op.drop_table("verdict_outbox", schema=SCHEMA)
    op.drop_index("uq_validation_runs_active_revision", table_name="validation_runs", schema=SCHEMA)
    op.drop_column("validation_runs", "correlation_id", schema=SCHEMA)
    op.drop_column("validation_runs", "lease_expires_at", schema=SCHEMA)
    op.drop_column("validation_runs", "attempts", schema=SCHEMA)
