"""The sample retention job: driven by SAMPLE_RETENTION_ENABLED in system config (through a
real identity service), idempotent, safe to run concurrently, and all-or-nothing per batch."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.identity.repositories import SystemConfigRepository
from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.server import GrpcService
from services.kernel.settings import Settings
from services.kernel.storage import LocalStorage, ObjectStorage, StorageUnavailable
from services.requests import app
from services.requests.models import LogSample
from services.requests.repositories import LogSampleRepository
from services.requests.retention import CONFIG_KEY, SampleRetention
from tests.requests.conftest import audit_events, make_request

NOW = datetime.now(UTC)


@pytest.fixture
def retention_runtime(
    requests_settings: Settings, identity_service: GrpcService, runtime: Runtime
) -> Runtime:
    settings = requests_settings.model_copy(update={"identity_address": identity_service.address})
    return Runtime.from_keys(settings, runtime.keys)


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "objects", "retention")


def retention_for(
    runtime: Runtime, db: Database, storage: ObjectStorage, batch_size: int = 200
) -> SampleRetention:
    return SampleRetention(app.build_deps(runtime, db, storage), batch_size=batch_size)


async def set_enabled(db: Database, value: str | None) -> None:
    async with db.unit_of_work() as session:
        repo = SystemConfigRepository(session)
        if value is None:
            row = await repo.get_by_key(CONFIG_KEY)
            if row is not None:
                await repo.delete(row.id)
        else:
            await repo.set_value(CONFIG_KEY, value, "boolean")


async def add_samples(
    db: Database, storage: ObjectStorage, owner: uuid.UUID, ages: list[int]
) -> list[LogSample]:
    """One stored sample per entry: retention ended `age` days ago (negative: in the future)."""
    request = await make_request(db, owner)
    made = []
    for age in ages:
        key = f"samples/{request.id}/{uuid.uuid4()}"

        async def data() -> AsyncIterator[bytes]:
            yield b"log line\n"

        stored = await storage.put(key, data(), max_size=100)
        async with db.unit_of_work() as session:
            made.append(
                await LogSampleRepository(session).create(
                    {
                        "request_id": request.id,
                        "filename": "a.log",
                        "file_size": stored.size,
                        "storage_key": key,
                        "storage_bucket": stored.bucket,
                        "retention_until": NOW - timedelta(days=age),
                    }
                )
            )
    return made


async def live_ids(db: Database) -> set[uuid.UUID]:
    async with db.read_only() as session:
        rows = await LogSampleRepository(session).get_all(filters={"deleted_at": None})
    return {r.id for r in rows}


async def test_deletes_expired_samples_and_objects(retention_runtime, clean, storage, cast) -> None:
    await set_enabled(clean, "true")
    expired = await add_samples(clean, storage, cast.owner.user_id, [10, 1])
    kept = await add_samples(clean, storage, cast.owner.user_id, [-1, -30])
    retention = retention_for(retention_runtime, clean, storage)
    run = await retention.run_once()
    assert (run.enabled, run.deleted) == (True, 2)
    assert await live_ids(clean) == {s.id for s in kept}
    for sample in expired:
        assert not await storage.exists(sample.storage_key)
    for sample in kept:
        assert await storage.exists(sample.storage_key)
    events = [e for e in await audit_events(clean) if e.action == "DELETE"]
    assert {e.entity_id for e in events} == {s.id for s in expired}
    assert all(e.user_id is None and e.details["reason"] == "retention" for e in events)
    again = await retention.run_once()  # twice does no harm
    assert again.deleted == 0
    assert len([e for e in await audit_events(clean) if e.action == "DELETE"]) == 2
    later = await retention.run_once(NOW + timedelta(days=2))
    assert later.deleted == 1  # the sample whose retention ended a day from now


async def test_disabled_in_system_config(retention_runtime, clean, storage, cast) -> None:
    await set_enabled(clean, "false")
    samples = await add_samples(clean, storage, cast.owner.user_id, [5])
    run = await retention_for(retention_runtime, clean, storage).run_once()
    assert (run.enabled, run.deleted) == (False, 0)
    assert await live_ids(clean) == {samples[0].id}
    assert await storage.exists(samples[0].storage_key)


async def test_environment_value_when_no_row(retention_runtime, clean, storage, cast) -> None:
    await set_enabled(clean, None)
    await add_samples(clean, storage, cast.owner.user_id, [5])
    off = retention_runtime.settings.model_copy(update={"sample_retention_enabled": False})
    disabled = Runtime.from_keys(off, retention_runtime.keys)
    assert (await retention_for(disabled, clean, storage).run_once()).enabled is False
    assert (await retention_for(retention_runtime, clean, storage).run_once()).deleted == 1


async def test_concurrent_runs_delete_each_sample_once(
    retention_runtime, clean, storage, cast
) -> None:
    await set_enabled(clean, "true")
    samples = await add_samples(clean, storage, cast.owner.user_id, [3] * 30)
    runs = [retention_for(retention_runtime, clean, storage, batch_size=4) for _ in range(3)]
    results = await asyncio.gather(*(r.run_once() for r in runs))
    assert sum(r.deleted for r in results) == len(samples)
    assert await live_ids(clean) == set()
    events = [e for e in await audit_events(clean) if e.action == "DELETE"]
    assert sorted(e.entity_id for e in events) == sorted(s.id for s in samples)


async def test_storage_failure_rolls_the_batch_back(
    retention_runtime, clean, storage, cast, tmp_path
) -> None:
    await set_enabled(clean, "true")
    samples = await add_samples(clean, storage, cast.owner.user_id, [3, 4])
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    broken = LocalStorage(blocker, "retention")
    with pytest.raises(StorageUnavailable):
        await retention_for(retention_runtime, clean, broken).run_once()
    assert await live_ids(clean) == {s.id for s in samples}
    assert [e for e in await audit_events(clean) if e.action == "DELETE"] == []


async def test_scheduled_inside_the_service(retention_runtime, clean, storage, cast) -> None:
    await set_enabled(clean, "true")
    await add_samples(clean, storage, cast.owner.user_id, [2])
    fast = retention_runtime.settings.model_copy(update={"sample_retention_interval_seconds": 0.05})
    runtime = Runtime.from_keys(fast, retention_runtime.keys)
    definition = app.build(runtime, Database.from_settings(fast), storage)
    job = asyncio.create_task(definition.background[0]())
    try:
        for _ in range(100):
            if not await live_ids(clean):
                break
            await asyncio.sleep(0.05)
        assert await live_ids(clean) == set()
    finally:
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)
        for hook in definition.on_stop:
            await hook()


async def test_cleanup_command_entry_point(retention_runtime, clean, cast) -> None:
    await set_enabled(clean, "true")
    settings = retention_runtime.settings
    store = LocalStorage(settings.data_dir / "objects", settings.storage_bucket)
    samples = await add_samples(clean, store, cast.owner.user_id, [1, -1])
    run = await app.run_retention_once(retention_runtime, settings.database_url)
    assert (run.enabled, run.deleted) == (True, 1)
    assert not await store.exists(samples[0].storage_key)
    assert await live_ids(clean) == {samples[1].id}
