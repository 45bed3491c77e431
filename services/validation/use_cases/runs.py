"""Queueing validation runs (once per revision while one is QUEUED or RUNNING), reading them
back, cancelling them and downloading their debug bundles."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from services.kernel.call_context import current_call, require_principal, require_user
from services.kernel.enums import AuditAction, UserRoleEnum
from services.kernel.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.kernel.file_streams import opened
from services.kernel.validation import Page
from services.validation.enums import ValidationStatus
from services.validation.models import ValidationRun
from services.validation.repositories import ValidationRunRepository, VerdictRepository
from services.validation.use_cases import rules
from services.validation.use_cases.deps import ValidationDeps


class ValidationUseCases:
    def __init__(self, deps: ValidationDeps) -> None:
        self.deps = deps

    async def queue(self, request_id: uuid.UUID, ta_revision_id: uuid.UUID) -> ValidationRun:
        """A QUEUED run of one of the request's revisions, with its audit event; the run of it
        already QUEUED or RUNNING when there is one. For a service (the generation pipeline,
        which may ask again after a crash) any earlier run of the revision is the answer: a
        pipeline attempt validates its revision once, even when that run already finished."""
        principal = require_principal()
        details = await self.deps.requests.get_request(request_id)
        rules.require_reader(principal, details.request)
        revision = next((r for r in details.ta_revisions if r.id == str(ta_revision_id)), None)
        if revision is None:
            raise InvalidArgument("ta_revision_id", f"is not a TA revision of request {request_id}")
        async with self.deps.db.unit_of_work() as session:
            repo = ValidationRunRepository(session)
            if principal.is_service:
                earlier = await repo.get_latest_for_revision(ta_revision_id)
                if earlier is not None:
                    return earlier
            run, created = await repo.queue_once(
                {
                    "request_id": request_id,
                    "ta_revision_id": ta_revision_id,
                    "correlation_id": current_call().correlation_id,
                }
            )
            if created:
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

    async def cancel(self, run_id: uuid.UUID) -> ValidationRun:
        """A QUEUED or RUNNING run ends FAILED, naming who cancelled it; the worker running
        it stops its check (it sees the run is no longer RUNNING). The verdict reaches the
        request like any other."""
        principal = require_user()
        if not principal.has_any([UserRoleEnum.APPROVER, UserRoleEnum.ADMIN]):
            raise PermissionDenied("only APPROVERs and ADMINs may cancel a validation run")
        run = await self.get(run_id)
        who = principal.username or str(principal.user_id)
        async with self.deps.db.unit_of_work() as session:
            cancelled = await ValidationRunRepository(session).cancel(run.id, f"cancelled by {who}")
            if cancelled is None:
                raise FailedPrecondition(
                    f"validation run {run_id} is {run.status} already: only a QUEUED or "
                    "RUNNING run can be cancelled"
                )
            VerdictRepository(session).add_for(cancelled)
            self.deps.audit.record(
                session,
                AuditAction.UPDATE,
                "validation_run",
                run.id,
                {
                    "request_id": str(run.request_id),
                    "previous_status": run.status.value,
                    "new_status": ValidationStatus.FAILED.value,
                    "reason": cancelled.error_message,
                },
            )
        self.deps.finished.set()
        self.deps.queued.set()
        return cancelled

    async def debug_bundle(self, run_id: uuid.UUID) -> tuple[ValidationRun, AsyncIterator[bytes]]:
        """A finished run's debug bundle, streamed from object storage."""
        run = await self.get(run_id)
        if not run.debug_bundle_key:
            raise NotFound("debug_bundle", run_id)
        chunks = await opened(self.deps.storage, run.debug_bundle_key, run.debug_bundle_bucket)
        return run, chunks
