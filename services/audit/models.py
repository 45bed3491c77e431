"""Audit tables: audit_logs, the immutable trail (append-only at the database level)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kernel.enums import AuditAction
from services.kernel.models import MAPPER_ARGS, TYPE_ANNOTATION_MAP, context_metadata, pg_enum

SCHEMA = "audit"

#: The NOLOGIN role the audit service's connections act as: INSERT and SELECT only.
WRITER_ROLE = "tagen_audit_writer"


class AuditBase(DeclarativeBase):
    metadata = context_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP
    __mapper_args__ = MAPPER_ARGS


AUDIT_ACTION_ENUM = pg_enum(AuditAction, "audit_action", SCHEMA)


class AuditLog(AuditBase):
    """One audited human action; rows are never updated or deleted."""

    __tablename__ = "audit_logs"
    __table_args__ = (
        sa.Index("ix_audit_logs_user_id_timestamp", "user_id", "timestamp"),
        sa.Index("ix_audit_logs_entity_type_entity_id", "entity_type", "entity_id"),
        sa.CheckConstraint(
            "details IS NULL OR jsonb_typeof(details) = 'object'", name="details_object"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    """Primary key: the producer's event id, so a redelivered event is stored once."""
    user_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """Who acted (an identity user id, no cross-context key); None for system actions."""
    action: Mapped[AuditAction] = mapped_column(AUDIT_ACTION_ENUM, index=True)
    """What was done."""
    entity_type: Mapped[str] = mapped_column(sa.String(64))
    """Kind of the changed entity, e.g. 'request', 'ta_revision'."""
    entity_id: Mapped[uuid.UUID | None] = mapped_column(index=True, nullable=True)
    """Id of the changed entity."""
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    """What changed (a JSON object); SQL NULL when there is nothing to say."""
    ip_address: Mapped[str | None] = mapped_column(sa.String(64))
    """Client IP address."""
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    """Client user agent."""
    correlation_id: Mapped[uuid.UUID | None] = mapped_column(index=True, nullable=True)
    """The x-request-id the gateway assigned to the call that caused the change."""
    timestamp: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )
    """When the change happened (UTC)."""
