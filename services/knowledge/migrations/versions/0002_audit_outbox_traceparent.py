"""audit outbox traceparent: the trace of the change each event records

The outbox relay links its delivery span to this W3C traceparent; rows written before this
revision, or while tracing is off, keep NULL.

Revision ID: knowledge_0002
Revises: knowledge_0001
Create Date: 2026-12-04 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "knowledge_0002"
down_revision: str | None = "knowledge_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "audit_outbox",
        sa.Column("traceparent", sa.String(length=64), nullable=True),
        schema="knowledge",
    )


def downgrade() -> None:
    op.drop_column("audit_outbox", "traceparent", schema="knowledge")
