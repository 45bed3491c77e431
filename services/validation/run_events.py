"""Audit events of the status changes the validation pipeline makes on its own (claims,
completions, requeues, failures): the service as actor, the run's correlation id (the call
that queued it, e.g. the approval that started the pipeline)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.call_context import CallContext, Principal, reset_call, set_call
from services.kernel.enums import AuditAction
from services.kernel.outbox import AuditRecorder
from services.validation.enums import ValidationStatus
from services.validation.models import ValidationRun

SERVICE_ACTOR = "service:validation"
_SERVICE = Principal(SERVICE_ACTOR, "service")


def record_status_change(
    audit: AuditRecorder,
    session: AsyncSession,
    run: ValidationRun,
    previous: ValidationStatus,
    **details: Any,
) -> None:
    token = set_call(
        CallContext(correlation_id=run.correlation_id or uuid.uuid4(), principal=_SERVICE)
    )
    try:
        audit.record(
            session,
            AuditAction.UPDATE,
            "validation_run",
            run.id,
            {
                "request_id": str(run.request_id),
                "previous_status": previous.value,
                "new_status": run.status.value,
                "actor": SERVICE_ACTOR,
                **details,
            },
        )
    finally:
        reset_call(token)
