"""The verdict relay, a background task of the validation service: it delivers the verdicts
of finished runs (written in the same transaction that finished each run) to the requests
service, which completes or fails the request.

One delivery is one transaction: take the oldest due verdict with FOR UPDATE SKIP LOCKED
(replicas never deliver the same one at once), call RecordValidationVerdict under the run's
correlation id, delete it once acknowledged. A failed delivery is retried with capped
backoff; the requests service applies a verdict once, so a repeat after a crash between the
call and the delete changes nothing."""

from __future__ import annotations

import logging
import uuid

from services.kernel.background import drain_forever
from services.kernel.call_context import CallContext, reset_call, set_call
from services.kernel.errors import NotFound
from services.validation.models import VerdictOutbox
from services.validation.repositories import VerdictRepository
from services.validation.use_cases.deps import ValidationDeps

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0


class VerdictRelay:
    def __init__(self, deps: ValidationDeps) -> None:
        self.deps = deps
        self.delivered = 0

    async def run(self) -> None:
        """Deliver while verdicts are due; wake up when a run finishes here or every poll."""
        poll = self.deps.settings.validation_poll_seconds
        await drain_forever("verdict relay", self.deliver_one, self.deps.finished, poll)

    async def drain(self) -> int:
        """Deliver every due verdict now (tests, shutdown); how many were handled."""
        count = 0
        while await self.deliver_one():
            count += 1
        return count

    async def deliver_one(self) -> bool:
        """Handle the oldest due verdict; False when none is due."""
        async with self.deps.db.unit_of_work() as session:
            verdicts = VerdictRepository(session)
            verdict = await verdicts.take_due()
            if verdict is None:
                return False
            try:
                await self._send(verdict)
            except NotFound:
                log.warning("verdict of run %s: its request is gone", verdict.run_id)
            except Exception as exc:
                delay = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** min(verdict.tries, 10))
                log.warning(
                    "verdict of run %s not delivered (%s); retry in %.1f s",
                    verdict.run_id,
                    exc,
                    delay,
                )
                await verdicts.postpone(verdict.id, delay)
                return True
            await verdicts.delivered(verdict.id)
        self.delivered += 1
        return True

    async def _send(self, verdict: VerdictOutbox) -> None:
        token = set_call(CallContext(correlation_id=verdict.correlation_id or uuid.uuid4()))
        try:
            await self.deps.requests.record_verdict(
                verdict.request_id,
                verdict.run_id,
                verdict.ta_revision_id,
                verdict.passed,
                verdict.message or "",
            )
        finally:
            reset_call(token)
