"""ValidationRunRepository on real PostgreSQL: every seed method, the guarded status changes,
the claim of queued runs under the concurrency limit (also with concurrent claimers), the
stale sweep."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from services.kernel.db import Database
from services.kernel.errors import InvalidArgument
from services.validation.enums import ValidationStatus as S
from services.validation.models import ValidationRun
from services.validation.repositories import ValidationRunRepository
from services.validation.runner import container_name
from tests.validation.conftest import empty_validation_schema, load_run, make_run


def add(session, request_id=None, status=S.QUEUED, **values) -> ValidationRun:
    run = ValidationRun(
        request_id=request_id or uuid.uuid4(), ta_revision_id=uuid.uuid4(), status=status, **values
    )
    session.add(run)
    return run


async def test_create_defaults_to_queued(session) -> None:
    repo = ValidationRunRepository(session)
    run = await repo.create({"request_id": uuid.uuid4(), "ta_revision_id": uuid.uuid4()})
    assert run.status is S.QUEUED and run.created_at is not None
    assert (run.started_at, run.completed_at, run.duration_seconds) == (None, None, None)
    assert await repo.exists(run.id) and await repo.count() == 1


async def test_start_validation(session) -> None:
    repo = ValidationRunRepository(session)
    run = await repo.create({"request_id": uuid.uuid4(), "ta_revision_id": uuid.uuid4()})
    started = await repo.start_validation(run.id, container_id="job-abc-123")
    assert started is not None and started.status is S.RUNNING
    assert started.splunk_container_id == "job-abc-123" and started.started_at is not None
    assert await repo.start_validation(run.id, "job-again") is None  # not QUEUED any more
    assert await repo.start_validation(uuid.uuid4(), "job-x") is None
    assert (await repo.get_by_id(run.id)).splunk_container_id == "job-abc-123"


async def test_complete_validation_computes_the_duration(session) -> None:
    repo = ValidationRunRepository(session)
    run = add(session, status=S.RUNNING, started_at=datetime.now(UTC) - timedelta(seconds=90))
    await session.flush()
    done = await repo.complete_validation(
        run.id,
        status=S.PASSED,
        results={"fields_extracted": 15, "errors": 0},
        debug_bundle_key="debug/request-123-v1.zip",
        debug_bundle_bucket="tagen",
        validation_logs="ok",
    )
    assert done is not None and done.status is S.PASSED
    assert done.results_json == {"fields_extracted": 15, "errors": 0}
    assert (done.debug_bundle_key, done.debug_bundle_bucket) == (
        "debug/request-123-v1.zip",
        "tagen",
    )
    assert done.completed_at is not None and 89 <= done.duration_seconds <= 95
    assert done.validation_logs == "ok" and done.error_message is None
    # Finished runs do not complete again.
    assert await repo.complete_validation(run.id, S.FAILED, None) is None


async def test_complete_validation_refusals(session) -> None:
    repo = ValidationRunRepository(session)
    queued = add(session)
    await session.flush()
    assert await repo.complete_validation(queued.id, S.FAILED, None) is None  # never started
    for status in (S.QUEUED, S.RUNNING):
        with pytest.raises(InvalidArgument) as err:
            await repo.complete_validation(queued.id, status, None)
        assert err.value.field == "status"


async def test_failed_run_keeps_its_error(session) -> None:
    repo = ValidationRunRepository(session)
    run = add(session, status=S.RUNNING, started_at=datetime.now(UTC))
    await session.flush()
    done = await repo.complete_validation(
        run.id, S.FAILED, {"passed": False}, error_message="props.conf: bad regex"
    )
    assert done.error_message == "props.conf: bad regex" and 0 <= done.duration_seconds <= 2
    assert done.debug_bundle_bucket is None  # no bucket without a key


async def test_running_count_and_failed_validations(session) -> None:
    repo = ValidationRunRepository(session)
    request_id = uuid.uuid4()
    for status in (S.RUNNING, S.RUNNING, S.QUEUED, S.PASSED):
        add(session, request_id, status)
    failed = [add(session, request_id, S.FAILED) for _ in range(2)]
    add(session, status=S.FAILED)  # another request's
    await session.flush()
    assert await repo.get_running_count() == 2
    assert {r.id for r in await repo.get_failed_validations(request_id)} == {r.id for r in failed}
    assert await repo.get_failed_validations(uuid.uuid4()) == []


async def test_get_by_request_newest_first_with_paging_and_status(session) -> None:
    repo = ValidationRunRepository(session)
    request_id = uuid.uuid4()
    base = datetime.now(UTC)
    runs = [
        add(session, request_id, S.PASSED if i % 2 else S.FAILED, created_at=base + timedelta(i))
        for i in range(5)
    ]
    add(session)
    await session.flush()
    newest_first = [r.id for r in reversed(runs)]
    assert [r.id for r in await repo.get_by_request(request_id)] == newest_first
    assert [r.id for r in await repo.get_by_request(request_id, 1, 2)] == newest_first[1:3]
    passed = await repo.get_by_request(request_id, status=S.PASSED)
    assert [r.id for r in passed] == [runs[3].id, runs[1].id]
    with pytest.raises(InvalidArgument):
        await repo.get_by_request(request_id, -1, 10)


async def test_claim_respects_the_limit_and_the_queue_order(session) -> None:
    repo = ValidationRunRepository(session)
    base = datetime.now(UTC)
    add(session, status=S.RUNNING, started_at=base)
    queued = [add(session, created_at=base + timedelta(seconds=i)) for i in range(4)]
    await session.flush()
    claimed = await repo.claim_queued(3, container_name)
    assert [r.id for r in claimed] == [queued[0].id, queued[1].id]  # oldest first, 1 + 2 = 3
    assert all(r.status is S.RUNNING and r.started_at for r in claimed)
    assert claimed[0].splunk_container_id == f"local-{str(queued[0].id)[:8]}"
    assert await repo.claim_queued(3, container_name) == []
    assert await repo.claim_queued(0, container_name) == []
    assert await repo.get_running_count() == 3


async def test_a_worker_claims_no_more_than_its_free_slots(session) -> None:
    repo = ValidationRunRepository(session)
    base = datetime.now(UTC)
    queued = [add(session, created_at=base + timedelta(seconds=i)) for i in range(4)]
    await session.flush()
    assert await repo.claim_queued(10, container_name, at_most=0) == []
    claimed = await repo.claim_queued(10, container_name, at_most=1)
    assert [r.id for r in claimed] == [queued[0].id]  # the platform limit left room for 10
    claimed = await repo.claim_queued(2, container_name, at_most=5)
    assert [r.id for r in claimed] == [queued[1].id]  # the platform limit is the tighter one


async def test_two_concurrent_claimers_never_exceed_the_limit(database: Database) -> None:
    await empty_validation_schema(database)
    runs = [await make_run(database) for _ in range(10)]
    gate = asyncio.Event()

    async def claimer() -> list[uuid.UUID]:
        taken: list[uuid.UUID] = []
        for _ in range(5):
            await gate.wait()
            async with database.unit_of_work() as session:
                claimed = await ValidationRunRepository(session).claim_queued(3, container_name)
                await asyncio.sleep(0.01)  # hold the claim while the other claimer tries
                taken += [r.id for r in claimed]
        return taken

    tasks = [asyncio.create_task(claimer()) for _ in range(2)]
    gate.set()
    first, second = await asyncio.gather(*tasks)
    assert len(first) + len(second) == 3 and not set(first) & set(second)
    assert set(first) | set(second) == {r.id for r in runs[:3]}
    async with database.read_only() as session:
        assert await ValidationRunRepository(session).get_running_count() == 3
    await empty_validation_schema(database)


async def test_claim_skips_runs_locked_by_another_transaction(database: Database) -> None:
    await empty_validation_schema(database)
    locked, free = await make_run(database), await make_run(database)
    async with database.unit_of_work() as holder:
        await holder.execute(
            update(ValidationRun).where(ValidationRun.id == locked.id).values(error_message="x")
        )
        async with database.unit_of_work() as session:
            claimed = await ValidationRunRepository(session).claim_queued(5, container_name)
        assert [r.id for r in claimed] == [free.id]
    assert (await load_run(database, locked.id)).status is S.QUEUED
    await empty_validation_schema(database)


async def test_fail_stale_and_requeue(session) -> None:
    repo = ValidationRunRepository(session)
    now = datetime.now(UTC)
    stale = add(session, status=S.RUNNING, started_at=now - timedelta(hours=2))
    fresh = add(session, status=S.RUNNING, started_at=now - timedelta(minutes=1))
    done = add(session, status=S.PASSED, started_at=now - timedelta(hours=3))
    await session.flush()
    failed = await repo.fail_stale(now - timedelta(minutes=30), "worker died")
    assert [r.id for r in failed] == [stale.id]
    assert failed[0].status is S.FAILED and failed[0].error_message == "worker died"
    assert failed[0].duration_seconds >= 7200 and failed[0].completed_at is not None
    assert (await repo.get_by_id(done.id)).status is S.PASSED
    assert await repo.requeue(fresh.id)
    requeued = await repo.get_by_id(fresh.id)
    await session.refresh(requeued)
    assert (requeued.status, requeued.started_at, requeued.splunk_container_id) == (
        S.QUEUED,
        None,
        None,
    )
    assert not await repo.requeue(stale.id)  # only RUNNING runs go back


async def test_base_repository_api(session) -> None:
    repo = ValidationRunRepository(session)
    run = await repo.create({"request_id": uuid.uuid4(), "ta_revision_id": uuid.uuid4()})
    updated = await repo.update(run.id, {"validation_logs": "note"})
    assert updated.validation_logs == "note"
    assert [r.id for r in await repo.get_all(filters={"status": S.QUEUED})] == [run.id]
    assert await repo.delete(run.id) and not await repo.exists(run.id)
