"""The validation runner, a background task of the validation service (any number of
replicas).

It claims QUEUED runs while fewer than MAX_PARALLEL_VALIDATIONS are RUNNING (system config
wins over the environment at run time; 0 pauses), executes each in its own task and wakes up
when a run is queued, a run ends, or every poll interval. A claimed run holds a lease that the
runner renews every round while the run executes; a run whose worker died (its lease expired)
goes back to the queue, up to VALIDATION_MAX_ATTEMPTS starts, then FAILS with the reason. A
run that is no longer RUNNING when its lease is renewed (cancelled) has its task cancelled,
which kills its check process. Runs RUNNING for longer than the stale timeout (a hung worker)
are failed at start-up and then periodically. On a clean stop the runs still executing go back
to QUEUED for the next worker. Every status change is audited and every run that ends
leaves a verdict for the requests service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.call_context import CallContext, reset_call, set_call
from services.validation.enums import ValidationStatus
from services.validation.execution import RunExecution
from services.validation.models import ValidationRun
from services.validation.repositories import ValidationRunRepository, VerdictRepository
from services.validation.run_events import record_status_change
from services.validation.use_cases.deps import ValidationDeps

log = logging.getLogger(__name__)

CONFIG_KEY = "MAX_PARALLEL_VALIDATIONS"


def container_name(run_id: uuid.UUID) -> str:
    """Where a run executes: this service, locally."""
    return f"local-{str(run_id)[:8]}"


def expired_message(attempts: int) -> str:
    return (
        f"the run's worker stopped before it finished, {attempts} times "
        "(VALIDATION_MAX_ATTEMPTS reached)"
    )


def stale_message(seconds: float) -> str:
    return (
        f"the run was RUNNING for more than {seconds:.0f} seconds without finishing "
        "(its worker stopped or hung)"
    )


class ValidationRunner:
    def __init__(self, deps: ValidationDeps) -> None:
        self.deps = deps
        self.execution = RunExecution(deps)
        self.tasks: dict[uuid.UUID, asyncio.Task[None]] = {}

    async def limit(self) -> int:
        """How many runs may be RUNNING at once, platform-wide."""
        fallback = self.deps.settings.max_parallel_validations
        return max(0, int(await self.deps.config.get(CONFIG_KEY, fallback)))

    async def fail_stale(self, now: datetime | None = None) -> list[ValidationRun]:
        """FAIL the runs RUNNING for longer than the stale timeout."""
        seconds = self.deps.settings.validation_stale_after_seconds
        cutoff = (now or datetime.now(UTC)) - timedelta(seconds=seconds)
        async with self.deps.db.unit_of_work() as session:
            failed = await ValidationRunRepository(session).fail_stale(
                cutoff, stale_message(seconds)
            )
            self._ended(session, failed)
        for run in failed:
            log.warning("validation run %s failed as stale (started %s)", run.id, run.started_at)
        return failed

    def free_slots(self) -> int | None:
        """How many more runs this process may execute (VALIDATION_WORKER_SLOTS, 0 = no cap of
        its own: only the platform-wide limit applies)."""
        slots = self.deps.settings.validation_worker_slots
        return max(0, slots - len(self.tasks)) if slots else None

    async def claim(self) -> list[ValidationRun]:
        """Recover the runs of dead workers, then start as many QUEUED runs as the limit
        leaves room for (one transaction)."""
        limit = await self.limit()
        settings = self.deps.settings
        async with self.deps.db.unit_of_work() as session:
            repo = ValidationRunRepository(session)
            requeued, failed = await repo.recover_expired(
                settings.validation_max_attempts,
                expired_message(settings.validation_max_attempts),
            )
            for run in requeued:
                log.warning("validation run %s: its worker died; queued again", run.id)
                record_status_change(
                    self.deps.audit, session, run, ValidationStatus.RUNNING, reason="lease expired"
                )
            self._ended(session, failed)
            claimed = await repo.claim_queued(
                limit,
                container_name,
                lease_seconds=settings.validation_lease_seconds,
                at_most=self.free_slots(),
            )
            for run in claimed:
                record_status_change(
                    self.deps.audit, session, run, ValidationStatus.QUEUED, attempt=run.attempts
                )
            return claimed

    def _ended(self, session: AsyncSession, runs: list[ValidationRun]) -> None:
        """Verdicts and audit events of runs the runner failed itself (same transaction)."""
        for run in runs:
            VerdictRepository(session).add_for(run)
            record_status_change(
                self.deps.audit, session, run, ValidationStatus.RUNNING, reason=run.error_message
            )
        if runs:
            self.deps.finished.set()

    async def heartbeat(self) -> None:
        """Renew the leases of the runs executing here; cancel those that are no longer
        RUNNING (cancelled or failed meanwhile): their check processes are killed."""
        mine = list(self.tasks)
        if not mine:
            return
        async with self.deps.db.unit_of_work() as session:
            alive = await ValidationRunRepository(session).renew_leases(
                mine, self.deps.settings.validation_lease_seconds
            )
        for run_id in mine:
            task = self.tasks.get(run_id)
            if run_id not in alive and task is not None:
                log.info("validation run %s is no longer RUNNING: stopping its check", run_id)
                task.cancel()

    async def run_once(self) -> list[ValidationRun]:
        """Claim and execute the runs there is room for, waiting until they end (tests, CLI)."""
        claimed = await self.claim()
        for run in claimed:
            self._spawn(run)
        await self.wait_idle()
        return claimed

    async def wait_idle(self) -> None:
        while self.tasks:
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        poll = self.deps.settings.validation_poll_seconds
        sweep = self.deps.settings.validation_sweep_interval_seconds
        next_sweep = 0.0
        try:
            while True:
                self.deps.queued.clear()
                try:
                    if loop.time() >= next_sweep:
                        await self.fail_stale()
                        next_sweep = loop.time() + sweep
                    await self.heartbeat()
                    for run in await self.claim():
                        self._spawn(run)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("validation runner round failed; retrying in %.1f s", poll)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.deps.queued.wait(), poll)
        finally:
            await self.stop()

    def _spawn(self, run: ValidationRun) -> None:
        task = asyncio.create_task(self._guarded(run), name=f"validation-{run.id}")
        self.tasks[run.id] = task

        def done(_: asyncio.Task[None]) -> None:
            self.tasks.pop(run.id, None)
            self.deps.queued.set()  # a slot is free

        task.add_done_callback(done)

    async def _guarded(self, run: ValidationRun) -> None:
        token = set_call(CallContext(correlation_id=run.correlation_id or uuid.uuid4()))
        try:
            await self.execution.execute(run)
        except asyncio.CancelledError:
            await self._requeue(run.id)
            raise
        except Exception:
            log.exception("validation run %s could not be completed", run.id)
        finally:
            reset_call(token)

    async def _requeue(self, run_id: uuid.UUID) -> None:
        try:
            async with self.deps.db.unit_of_work() as session:
                if await ValidationRunRepository(session).requeue(run_id):
                    log.info("validation run %s handed back to the queue", run_id)
        except Exception:
            log.exception("validation run %s stays RUNNING until it is failed as stale", run_id)

    async def stop(self) -> None:
        """Cancel the runs still executing (they go back to QUEUED) and wait for them."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
