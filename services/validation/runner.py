"""The validation runner, a background task of the validation service.

It claims QUEUED runs while fewer than MAX_PARALLEL_VALIDATIONS are RUNNING (system config
wins over the environment at run time; 0 pauses), executes each in its own task and wakes up
when a run is queued, a run ends, or every poll interval. Runs RUNNING for longer than the
stale timeout (a crashed or hung worker) are failed at start-up and then periodically. On a
clean stop the runs still executing go back to QUEUED for the next worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

from services.validation.execution import RunExecution
from services.validation.models import ValidationRun
from services.validation.repositories import ValidationRunRepository
from services.validation.use_cases.deps import ValidationDeps

log = logging.getLogger(__name__)

CONFIG_KEY = "MAX_PARALLEL_VALIDATIONS"


def container_name(run_id: uuid.UUID) -> str:
    """Where a run executes: this service, locally."""
    return f"local-{str(run_id)[:8]}"


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
        for run in failed:
            log.warning("validation run %s failed as stale (started %s)", run.id, run.started_at)
        return failed

    async def claim(self) -> list[ValidationRun]:
        """Start as many QUEUED runs as the limit leaves room for (one transaction)."""
        limit = await self.limit()
        async with self.deps.db.unit_of_work() as session:
            return await ValidationRunRepository(session).claim_queued(limit, container_name)

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
        try:
            await self.execution.execute(run)
        except asyncio.CancelledError:
            await self._requeue(run.id)
            raise
        except Exception:
            log.exception("validation run %s could not be completed", run.id)

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
