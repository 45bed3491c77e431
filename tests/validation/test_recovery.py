"""A crash mid-run never leaves a run RUNNING forever: runs RUNNING for longer than the stale
timeout are failed at start-up and periodically; a runner that stops cleanly hands its
unfinished runs back to the queue. MAX_PARALLEL_VALIDATIONS in system config (through a real
identity service) wins over the environment."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.repositories import SystemConfigRepository
from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.server import GrpcService
from services.kernel.settings import Settings
from services.kernel.tokens import KeyMaterial
from services.validation import app
from services.validation.enums import ValidationStatus as S
from services.validation.models import ValidationRun, VerdictOutbox
from services.validation.repositories import ValidationRunRepository
from services.validation.runner import CONFIG_KEY, ValidationRunner
from services.validation.use_cases.deps import ValidationDeps
from tests.validation.conftest import (
    load_run,
    make_run,
    outbox,
    start_validation_service,
    validation_runtime,
    wait_for,
)

pytestmark = pytest.mark.xdist_group("validation-runner")
NOW = datetime.now(UTC)


@contextlib.asynccontextmanager
async def runner_for(runtime: Runtime, db: Database) -> AsyncIterator[ValidationRunner]:
    deps = app.build_deps(runtime, db)
    try:
        yield ValidationRunner(deps)
    finally:
        await deps.requests.close()
        await deps.config.close()


async def test_stale_runs_are_failed_at_start_up(
    validation_settings: Settings, keys: KeyMaterial, requests_service: GrpcService, clean
) -> None:
    stale = await make_run(clean, status=S.RUNNING, started_at=NOW - timedelta(hours=2))
    fresh = await make_run(clean, status=S.RUNNING, started_at=NOW - timedelta(minutes=5))
    queued = await make_run(clean)
    runtime = validation_runtime(
        validation_settings, keys, requests_service, validation_stale_after_seconds=1800
    )
    service = await start_validation_service(runtime)  # paused: claims nothing
    try:

        async def failed() -> ValidationRun | None:
            run = await load_run(clean, stale.id)
            return run if run.status is S.FAILED else None

        run = await wait_for(failed, within=10)
    finally:
        await service.stop(0)
    assert "RUNNING for more than 1800 seconds" in run.error_message
    assert run.completed_at is not None and run.duration_seconds >= 7200
    assert (await load_run(clean, fresh.id)).status is S.RUNNING
    assert (await load_run(clean, queued.id)).status is S.QUEUED


async def test_the_periodic_sweep_fails_runs_that_became_stale(
    validation_settings: Settings, keys: KeyMaterial, requests_service: GrpcService, clean
) -> None:
    run = await make_run(clean, status=S.RUNNING, started_at=NOW - timedelta(minutes=5))
    runtime = validation_runtime(
        validation_settings, keys, requests_service, validation_stale_after_seconds=600
    )
    async with runner_for(runtime, clean) as runner:
        assert await runner.fail_stale(NOW) == []
        [failed] = await runner.fail_stale(NOW + timedelta(minutes=6))
    assert failed.id == run.id and failed.status is S.FAILED
    assert "600 seconds" in failed.error_message


async def test_a_clean_stop_hands_unfinished_runs_back(
    validation_settings: Settings, keys: KeyMaterial, requests_service: GrpcService, clean
) -> None:
    run = await make_run(clean)
    runtime = validation_runtime(
        validation_settings, keys, requests_service, max_parallel_validations=1
    )
    async with runner_for(runtime, clean) as runner:
        started = asyncio.Event()

        async def never_ending(claimed: ValidationRun) -> None:
            started.set()
            await asyncio.Event().wait()

        runner.execution.execute = never_ending  # type: ignore[method-assign]
        task = asyncio.create_task(runner.run_forever())
        await asyncio.wait_for(started.wait(), 10)
        assert (await load_run(clean, run.id)).status is S.RUNNING
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    back = await load_run(clean, run.id)
    assert (back.status, back.started_at, back.splunk_container_id) == (S.QUEUED, None, None)


async def set_limit(db: Database, value: str | None) -> None:
    async with db.unit_of_work() as session:
        repo = SystemConfigRepository(session)
        row = await repo.get_by_key(CONFIG_KEY)
        if value is None:
            if row is not None:
                await repo.delete(row.id)
        else:
            await repo.set_value(CONFIG_KEY, value, "integer")


async def test_system_config_overrides_the_environment_limit(
    validation_settings: Settings,
    keys: KeyMaterial,
    requests_service: GrpcService,
    identity_service: GrpcService,
    clean,
) -> None:
    runs = [await make_run(clean) for _ in range(4)]
    runtime = validation_runtime(
        validation_settings,
        keys,
        requests_service,
        max_parallel_validations=3,
        identity_address=identity_service.address,
    )
    try:
        await set_limit(clean, "1")
        async with runner_for(runtime, clean) as runner:
            assert await runner.limit() == 1
            assert [r.id for r in await runner.claim()] == [runs[0].id]
            runner.deps.config.invalidate()
            await set_limit(clean, "0")  # 0 pauses the runner
            assert await runner.claim() == []
            runner.deps.config.invalidate()
            await set_limit(clean, None)  # no row: the environment's 3
            assert len(await runner.claim()) == 2
    finally:
        await set_limit(clean, None)


class VerdictsWritten(ValidationRunner):
    """A runner that notes the verdicts it writes, inside their transaction."""

    def __init__(self, deps: ValidationDeps) -> None:
        super().__init__(deps)
        self.written: list[tuple[object, bool]] = []

    def _ended(self, session: AsyncSession, runs: list[ValidationRun]) -> None:
        super()._ended(session, runs)
        self.written += [(o.run_id, o.passed) for o in session.new if isinstance(o, VerdictOutbox)]


async def test_a_dead_workers_run_is_queued_again_then_failed_after_the_limit(
    validation_settings: Settings, keys: KeyMaterial, requests_service: GrpcService, clean
) -> None:
    """A RUNNING run whose lease expired (its worker was killed) goes back to the queue and
    is claimed again, counting its attempts; past VALIDATION_MAX_ATTEMPTS it FAILS with the
    reason and leaves a verdict for the requests service."""
    runtime = validation_runtime(
        validation_settings, keys, requests_service, max_parallel_validations=5
    )
    expired = NOW - timedelta(seconds=5)
    again = await make_run(
        clean, status=S.RUNNING, started_at=NOW, attempts=1, lease_expires_at=expired
    )
    spent = await make_run(
        clean, status=S.RUNNING, started_at=NOW, attempts=3, lease_expires_at=expired
    )
    alive = await make_run(
        clean,
        status=S.RUNNING,
        started_at=NOW,
        attempts=1,
        lease_expires_at=NOW + timedelta(hours=1),
    )
    async with runner_for(runtime, clean) as runner:
        watched = VerdictsWritten(runner.deps)
        claimed = await watched.claim()
    assert [run.id for run in claimed] == [again.id]
    assert claimed[0].attempts == 2 and claimed[0].status == S.RUNNING
    failed = await load_run(clean, spent.id)
    assert failed.status == S.FAILED and "3 times" in (failed.error_message or "")
    assert (await load_run(clean, alive.id)).status == S.RUNNING
    # The verdict is read in the transaction that wrote it (the session's other validation
    # services may deliver it at once). A paused validation service of the session sweeps
    # expired leases too: when its sweep came first, it failed `spent` and wrote the verdict.
    assert watched.written in ([(spent.id, False)], [])
    events = [e for e in await outbox(clean) if e.entity_id in (again.id, spent.id)]
    assert {(e.entity_id, e.details["new_status"]) for e in events} == {
        (again.id, "QUEUED"),
        (again.id, "RUNNING"),
        (spent.id, "FAILED"),
    }
    assert all(e.details["actor"] == "service:validation" for e in events)


async def test_a_cancelled_run_stops_its_check(
    validation_settings: Settings, keys: KeyMaterial, requests_service: GrpcService, clean
) -> None:
    """The heartbeat of a runner finds its run cancelled and cancels the run's task (which
    kills the check process); the run stays FAILED as the cancel left it."""
    runtime = validation_runtime(validation_settings, keys, requests_service)
    run = await make_run(clean, status=S.RUNNING, started_at=NOW, attempts=1)
    async with runner_for(runtime, clean) as runner:
        started = asyncio.Event()

        async def long_check() -> None:
            started.set()
            await asyncio.sleep(3600)

        task = asyncio.create_task(long_check())
        runner.tasks[run.id] = task  # type: ignore[assignment]
        await started.wait()
        await runner.heartbeat()
        assert not task.cancelled()  # still RUNNING: only its lease was renewed
        async with clean.unit_of_work() as session:
            await ValidationRunRepository(session).cancel(run.id, "cancelled by aaron")
        await runner.heartbeat()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert task.cancelled()
    stored = await load_run(clean, run.id)
    assert stored.status == S.FAILED and stored.error_message == "cancelled by aaron"
