"""Validation verdicts delivered by the validation service: a run of the current attempt's
revision completes (PASSED) or fails (FAILED, with the run's reason) a VALIDATING request.
Deliveries are retried until acknowledged, so a verdict may come twice or come late: one for
another attempt, or for a request no longer VALIDATING, changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.kernel.call_context import require_principal
from services.kernel.errors import PermissionDenied
from services.requests import lifecycle
from services.requests.enums import FailureStage, RequestStatus
from services.requests.models import Request
from services.requests.repositories import GenerationJobRepository, RequestRepository
from services.requests.use_cases import rules
from services.requests.use_cases.deps import RequestsDeps
from services.requests.use_cases.transitions import apply

DEFAULT_FAILURE = "the TA did not pass validation"
MAX_MESSAGE = rules.MAX_REASON_LENGTH


@dataclass(frozen=True)
class Verdict:
    request_id: uuid.UUID
    validation_run_id: uuid.UUID
    ta_revision_id: uuid.UUID
    passed: bool
    message: str


class VerdictUseCases:
    def __init__(self, deps: RequestsDeps) -> None:
        self.deps = deps

    async def record(self, verdict: Verdict) -> tuple[bool, Request]:
        """Apply the verdict if it is the current attempt's; (applied, request)."""
        if not require_principal().is_service:
            raise PermissionDenied("only the validation service delivers verdicts")
        async with self.deps.db.unit_of_work() as session:
            request = await rules.load_locked(RequestRepository(session), verdict.request_id)
            jobs = GenerationJobRepository(session)
            job = await jobs.for_attempt(request.id, request.attempt)
            if (
                request.status != RequestStatus.VALIDATING
                or job is None
                or job.ta_revision_id != verdict.ta_revision_id
            ):
                return False, request
            target = RequestStatus.COMPLETED if verdict.passed else RequestStatus.FAILED
            failure = lifecycle.failure_record(
                FailureStage.VALIDATION,
                (verdict.message or DEFAULT_FAILURE)[:MAX_MESSAGE],
                verdict.validation_run_id,
            )
            moved = await apply(
                self.deps,
                session,
                request,
                lifecycle.transition(request.status, target),
                lifecycle.stamps(target, failure=failure),
                {"validation_run_id": str(verdict.validation_run_id)},
            )
            # The verdict may overtake the job's last step: the attempt is over either way.
            await jobs.finish(job.id, validation_run_id=verdict.validation_run_id)
            return True, moved
