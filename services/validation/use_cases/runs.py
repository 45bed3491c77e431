"""Queueing validation runs and reading them back."""

from __future__ import annotations

import uuid

from services.kernel.call_context import require_principal
from services.kernel.enums import AuditAction
from services.kernel.errors import InvalidArgument, NotFound
from services.kernel.validation import Page
from services.validation.enums import ValidationStatus
from services.validation.models import ValidationRun
from services.validation.repositories import ValidationRunRepository
from services.validation.use_cases import rules
from services.validation.use_cases.deps import ValidationDeps


class ValidationUseCases:
    def __init__(self, deps: ValidationDeps) -> None:
        self.deps = deps

    async def queue(self, request_id: uuid.UUID, ta_revision_id: uuid.UUID) -> ValidationRun:
        """A QUEUED run of one of the request's revisions, with its audit event."""
        principal = require_principal()
        details = await self.deps.requests.get_request(request_id)
        rules.require_reader(principal, details.request)
        revision = next((r for r in details.ta_revisions if r.id == str(ta_revision_id)), None)
        if revision is None:
            raise InvalidArgument("ta_revision_id", f"is not a TA revision of request {request_id}")
        async with self.deps.db.unit_of_work() as session:
            run = await ValidationRunRepository(session).create(
                {
                    "request_id": request_id,
                    "ta_revision_id": ta_revision_id,
                    "status": ValidationStatus.QUEUED,
                }
            )
            self.deps.audit.record(
                session,
                AuditAction.CREATE,
                "validation_run",
                run.id,
                {
                    "request_id": str(request_id),
                    "ta_revision_id": str(ta_revision_id),
                    "version": revision.version,
                    "new_status": ValidationStatus.QUEUED.value,
                },
            )
        self.deps.queued.set()
        return run

    async def list(
        self, request_id: uuid.UUID, status: ValidationStatus | None, page: Page
    ) -> list[ValidationRun]:
        principal = require_principal()
        details = await self.deps.requests.get_request(request_id)
        rules.require_reader(principal, details.request)
        async with self.deps.db.read_only() as session:
            return await ValidationRunRepository(session).get_by_request(
                request_id, page.offset, page.size, status=status
            )

    async def get(self, run_id: uuid.UUID) -> ValidationRun:
        principal = require_principal()
        async with self.deps.db.read_only() as session:
            run = await ValidationRunRepository(session).get_by_id(run_id)
        if run is None:
            raise NotFound("validation_run", run_id)
        details = await self.deps.requests.get_request(run.request_id)
        rules.require_reader(principal, details.request)
        return run
