"""Status changes: submit, approve, reject (people) and the pipeline's internal steps
(services). Each is one guarded UPDATE: of two concurrent callers exactly one wins."""

from __future__ import annotations

import uuid

from services.kernel.call_context import require_principal
from services.kernel.errors import FailedPrecondition, PermissionDenied
from services.requests import lifecycle
from services.requests.enums import RequestStatus
from services.requests.lifecycle import Actor
from services.requests.models import Request
from services.requests.repositories import RequestRepository
from services.requests.use_cases import rules
from services.requests.use_cases.deps import RequestsDeps


class TransitionUseCases:
    def __init__(self, deps: RequestsDeps) -> None:
        self.deps = deps

    async def submit(self, request_id: uuid.UUID) -> Request:
        return await self.move(request_id, RequestStatus.PENDING_APPROVAL)

    async def approve(self, request_id: uuid.UUID) -> Request:
        return await self.move(request_id, RequestStatus.APPROVED)

    async def reject(self, request_id: uuid.UUID, reason: str) -> Request:
        text = rules.check_reason("rejection_reason", reason)
        return await self.move(request_id, RequestStatus.REJECTED, reason=text)

    async def start_generation(self, request_id: uuid.UUID) -> Request:
        return await self.move(request_id, RequestStatus.GENERATING_TA)

    async def start_validation(self, request_id: uuid.UUID) -> Request:
        return await self.move(request_id, RequestStatus.VALIDATING)

    async def complete(self, request_id: uuid.UUID) -> Request:
        return await self.move(request_id, RequestStatus.COMPLETED)

    async def fail(self, request_id: uuid.UUID, reason: str) -> Request:
        text = rules.check_reason("reason", reason)
        return await self.move(request_id, RequestStatus.FAILED, reason=text)

    async def move(
        self, request_id: uuid.UUID, target: RequestStatus, *, reason: str | None = None
    ) -> Request:
        """Authorize the caller for `target`, check the table, then compare-and-set."""
        principal = require_principal()
        actor = lifecycle.actor_for(target)
        async with self.deps.db.unit_of_work() as session:
            repo = RequestRepository(session)
            current = await rules.load(repo, request_id)
            actor_id = None
            if actor is Actor.OWNER:
                rules.require_reader(principal, current)
                rules.require_owner(principal, current, f"move it to {target}")
            elif actor is Actor.REVIEWER:
                actor_id = rules.require_reviewer(principal, current)
            elif not principal.is_service:
                raise PermissionDenied(f"only service identities move a request to {target}")
            previous = current.status  # `current` is refreshed by the UPDATE below
            step = lifecycle.transition(previous, target)
            values = lifecycle.stamps(
                target,
                actor_id=actor_id,
                rejection_reason=reason if target == RequestStatus.REJECTED else None,
            )
            moved = await repo.change_status(request_id, previous, target, **values)
            if moved is None:
                raise FailedPrecondition(
                    f"the request changed meanwhile (it is no longer {previous}); "
                    "reload it and try again"
                )
            details: dict[str, str] = {
                "previous_status": previous.value,
                "new_status": target.value,
            }
            if reason is not None:
                details["reason"] = reason
            self.deps.audit.record(session, step.audit, "request", request_id, details)
            return moved
