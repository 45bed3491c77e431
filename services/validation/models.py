"""Validation tables: validation_runs, the verdicts waiting for the requests service and the
context's audit outbox.

`request_id` and `ta_revision_id` belong to the requests context: plain UUID columns, no
foreign key across schemas.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.kernel.models import (
    MAPPER_ARGS,
    TYPE_ANNOTATION_MAP,
    Timestamps,
    UUIDPrimaryKey,
    context_metadata,
    pg_enum,
)
from services.kernel.outbox import AuditOutboxMixin
from services.validation.enums import ValidationStatus

SCHEMA = "validation"


class ValidationBase(DeclarativeBase):
    metadata = context_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP
    __mapper_args__ = MAPPER_ARGS


VALIDATION_STATUS_ENUM = pg_enum(ValidationStatus, "validation_status", SCHEMA)


class ValidationRun(UUIDPrimaryKey, Timestamps, ValidationBase):
    """One check of a TA revision against its request's log samples."""

    __tablename__ = "validation_runs"
    __table_args__ = (
        sa.Index("ix_validation_runs_request_id_created_at", "request_id", "created_at"),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds >= 0",
            name="duration_not_negative",
        ),
        # At most one QUEUED or RUNNING run per revision: queuing again returns that run.
        sa.Index(
            "uq_validation_runs_active_revision",
            "ta_revision_id",
            unique=True,
            postgresql_where=sa.text("status IN ('QUEUED', 'RUNNING')"),
        ),
    )

    request_id: Mapped[uuid.UUID] = mapped_column()
    """The request whose revision is validated (requests context)."""
    ta_revision_id: Mapped[uuid.UUID] = mapped_column()
    """The TA revision under test (requests context)."""
    status: Mapped[ValidationStatus] = mapped_column(
        VALIDATION_STATUS_ENUM, default=ValidationStatus.QUEUED, index=True
    )
    """QUEUED, RUNNING, then PASSED or FAILED."""
    results_json: Mapped[dict[str, Any] | None] = mapped_column()
    """The checker's results document: field coverage, errors, search results."""
    debug_bundle_key: Mapped[str | None] = mapped_column(sa.String(512))
    """Object key of the debug .zip (debug/<request_id>/<run_id>.zip)."""
    debug_bundle_bucket: Mapped[str | None] = mapped_column(sa.String(63))
    """Object bucket of the debug .zip."""
    splunk_container_id: Mapped[str | None] = mapped_column(sa.String(255))
    """Where the run executes: a K8s Job, a container id, or local-<run id prefix>."""
    validation_logs: Mapped[str | None] = mapped_column(sa.Text)
    """What the run did, step by step (bounded)."""
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    """Why the run FAILED."""
    started_at: Mapped[datetime | None] = mapped_column(index=True)
    """When the run went RUNNING (UTC)."""
    completed_at: Mapped[datetime | None] = mapped_column()
    """When the run finished (UTC)."""
    duration_seconds: Mapped[int | None] = mapped_column(sa.Integer)
    """completed_at - started_at in whole seconds, computed on completion."""
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default=sa.text("0"))
    """How many times a worker started the run (a dead worker's run is started again)."""
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    """While RUNNING: until when its worker holds it (renewed while the worker lives)."""
    correlation_id: Mapped[uuid.UUID | None] = mapped_column()
    """x-request-id of the call that queued the run; its events and verdict carry it."""


class VerdictOutbox(ValidationBase):
    """The outcome of a finished run, written in the same transaction that finished it and
    delivered to the requests service (RecordValidationVerdict) until acknowledged."""

    __tablename__ = "verdict_outbox"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    """The verdict's own id."""
    run_id: Mapped[uuid.UUID] = mapped_column()
    """The finished run."""
    request_id: Mapped[uuid.UUID] = mapped_column()
    """The run's request (requests context)."""
    ta_revision_id: Mapped[uuid.UUID] = mapped_column()
    """The revision the run checked (requests context)."""
    passed: Mapped[bool] = mapped_column()
    """PASSED (True) or FAILED (False)."""
    message: Mapped[str | None] = mapped_column(sa.Text)
    """Why the run failed."""
    correlation_id: Mapped[uuid.UUID | None] = mapped_column()
    """The run's correlation id."""
    tries: Mapped[int] = mapped_column(sa.Integer, default=0, server_default=sa.text("0"))
    """Failed deliveries so far."""
    available_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )
    """Not delivered before this moment (retry backoff)."""
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    """When the run finished."""


class AuditOutbox(AuditOutboxMixin, ValidationBase):
    """Audit events of the validation context waiting for the relay."""

    __tablename__ = "audit_outbox"
