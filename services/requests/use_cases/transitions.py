"""Status changes: submit, approve, reject, regenerate (people) and the pipeline's internal
steps (services). Each is one guarded UPDATE: of two concurrent callers exactly one wins. A
move that starts a pipeline attempt (approve, regenerate) writes the attempt's generation job
in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.call_context import Principal, current_call, require_principal
from services.kernel.errors import FailedPrecondition, PermissionDenied
from services.requests import lifecycle
from services.requests.enums import FailureStage, RequestStatus
from services.requests.lifecycle import Actor
from services.requests.models import Request
from services.requests.repositories import (
    GenerationJobRepository,
    LogSampleRepository,
    RequestRepository,
)
from services.requests.use_cases import rules
from services.requests.use_cases.deps import RequestsDeps

S = RequestStatus
NEW_ATTEMPT_FROM = frozenset({S.FAILED, S.COMPLETED})


class TransitionUseCases:
    def __init__(self, deps: RequestsDeps) -> None:
        self.deps = deps

    async def submit(self, request_id: uuid.UUID) -> Request:
        return await self.move(request_id, S.PENDING_APPROVAL)

    async def approve(self, request_id: uuid.UUID) -> Request:
        return await self.move(request_id, S.APPROVED)

    async def reject(self, request_id: uuid.UUID, reason: str) -> Request:
        text = rules.check_reason("rejection_reason", reason)
        return await self.move(request_id, S.REJECTED, reason=text)

    async def regenerate(self, request_id: uuid.UUID) -> Request:
        """A new attempt of a FAILED or COMPLETED request: the TA is generated again."""
        return await self.move(request_id, S.GENERATING_TA, sources=NEW_ATTEMPT_FROM)

    async def start_generation(self, request_id: uuid.UUID) -> Request:
        return await self.move(request_id, S.GENERATING_TA, sources={S.APPROVED})

    async def start_validation(self, request_id: uuid.UUID) -> Request:
        return await self.move(request_id, S.VALIDATING, sources={S.GENERATING_TA})

    async def complete(self, request_id: uuid.UUID) -> Request:
        return await self.move(request_id, S.COMPLETED)

    async def fail(self, request_id: uuid.UUID, reason: str) -> Request:
        text = rules.check_reason("reason", reason)
        return await self.move(request_id, S.FAILED, reason=text)

    async def move(
        self,
        request_id: uuid.UUID,
        target: RequestStatus,
        *,
        reason: str | None = None,
        sources: Collection[RequestStatus] | None = None,
    ) -> Request:
        """Check the table and the caller for the request's current status, then
        compare-and-set (with the attempt's job when the move starts one)."""
        principal = require_principal()
        async with self.deps.db.unit_of_work() as session:
            repo = RequestRepository(session)
            current = await rules.load(repo, request_id)
            if sources is not None and current.status not in sources:
                allowed = " or ".join(sorted(sources))
                raise FailedPrecondition(
                    f"a request moves to {target} from {allowed} only (it is {current.status})"
                )
            step = lifecycle.transition(current.status, target)
            actor_id = authorize(principal, current, step)
            if target == S.PENDING_APPROVAL:
                await require_samples(session, current)
            failure = None
            if target == S.FAILED and reason is not None:
                stage = FailureStage.GENERATION
                if current.status == S.VALIDATING:
                    stage = FailureStage.VALIDATION
                failure = lifecycle.failure_record(stage, reason)
            moved = await apply(
                self.deps,
                session,
                current,
                step,
                lifecycle.stamps(
                    target,
                    actor_id=actor_id,
                    rejection_reason=reason if target == S.REJECTED else None,
                    failure=failure,
                ),
                {"reason": reason} if reason is not None else {},
            )
        if step.starts_attempt:
            self.deps.jobs_due.set()  # committed: the worker of this process starts at once
        return moved


def authorize(principal: Principal, request: Request, step: lifecycle.Transition) -> Any:
    """The acting user's id for reviewer moves (None otherwise); PermissionDenied when the
    caller may not make this move."""
    if step.actor is Actor.OWNER:
        rules.require_reader(principal, request)
        rules.require_owner(principal, request, f"move it to {step.target}")
        return None
    if step.actor is Actor.REVIEWER:
        return rules.require_reviewer(principal, request)
    if not principal.is_service:
        raise PermissionDenied(f"only service identities move a request to {step.target}")
    return None


async def require_samples(session: AsyncSession, request: Request) -> None:
    if not await LogSampleRepository(session).get_by_request(request.id):
        raise FailedPrecondition(
            "a request needs at least one log sample before it is submitted: upload one first"
        )


async def apply(
    deps: RequestsDeps,
    session: AsyncSession,
    current: Request,
    step: lifecycle.Transition,
    values: dict[str, Any],
    details: dict[str, Any],
    *,
    ta_revision_id: uuid.UUID | None = None,
) -> Request:
    """Compare-and-set `current` along `step` inside the caller's transaction, with its
    audit event; a move that starts an attempt also opens the attempt's generation job."""
    previous = current.status
    if step.starts_attempt:
        values = {**values, **lifecycle.attempt_stamps(current.attempt)}
    moved = await RequestRepository(session).change_status(
        current.id, previous, step.target, **values
    )
    if moved is None:
        raise FailedPrecondition(
            f"the request changed meanwhile (it is no longer {previous}); reload it and try again"
        )
    event: dict[str, Any] = {
        "previous_status": previous.value,
        "new_status": step.target.value,
        **details,
    }
    principal = current_call().principal
    if principal is not None and principal.is_service:
        event["actor"] = principal.subject
    if step.starts_attempt:
        event["attempt"] = moved.attempt
        await GenerationJobRepository(session).open(
            moved.id, moved.attempt, current_call().correlation_id, ta_revision_id
        )
    if moved.failure:
        event["failure"] = moved.failure
    deps.audit.record(session, step.audit, "request", current.id, event)
    return moved
