"""AuditLogRepository on a real database (each test in a transaction that is rolled back)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.audit.event_batch import EventBatch, check_events
from services.audit.paging import Cursor
from services.audit.repositories import AuditLogFilter, AuditLogRepository
from services.kernel.enums import AuditAction
from services.kernel.errors import InvalidArgument
from tests.audit.conftest import event

NOW = datetime.now(UTC)


async def test_create_log_as_the_seed_calls_it_and_read_the_entity_trail(session):
    repo = AuditLogRepository(session)
    user_id, request_id, correlation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await repo.create_log(
        user_id=user_id,
        action=AuditAction.APPROVE,
        entity_type="request",
        entity_id=request_id,
        details={"previous_status": "PENDING_APPROVAL", "new_status": "APPROVED"},
        ip_address="192.168.1.100",
        user_agent="Mozilla/5.0...",
        correlation_id=correlation,
    )
    await repo.create_log(user_id, AuditAction.DOWNLOAD, "ta_revision", uuid.uuid4())
    trail = await repo.get_by_entity("request", request_id)
    assert len(trail) == 1
    (log,) = trail
    assert log.action == AuditAction.APPROVE and log.user_id == user_id
    assert log.details == {"previous_status": "PENDING_APPROVAL", "new_status": "APPROVED"}
    assert log.ip_address == "192.168.1.100" and log.user_agent == "Mozilla/5.0..."
    assert log.correlation_id == correlation and log.timestamp.tzinfo is not None
    assert await repo.get_by_entity("ta_revision", request_id) == []


async def test_a_system_action_has_no_user_and_no_details(session):
    log = await AuditLogRepository(session).create_log(None, AuditAction.UPDATE, "system_config")
    assert log.user_id is None and log.details is None and log.entity_id is None


async def test_get_by_user_newest_first_and_by_correlation_oldest_first(session):
    repo = AuditLogRepository(session)
    user, correlation = uuid.uuid4(), uuid.uuid4()
    for minutes, action in (
        (3, AuditAction.LOGIN),
        (2, AuditAction.CREATE),
        (1, AuditAction.LOGOUT),
    ):
        await repo.create_log(
            user, action, "user", user, correlation_id=correlation,
            timestamp=NOW - timedelta(minutes=minutes),
        )  # fmt: skip
    await repo.create_log(uuid.uuid4(), AuditAction.LOGIN, "user", correlation_id=correlation)
    assert [log.action for log in await repo.get_by_user(user)] == [
        AuditAction.LOGOUT, AuditAction.CREATE, AuditAction.LOGIN,
    ]  # fmt: skip
    assert [log.action for log in await repo.get_by_user(user, skip=1, limit=1)] == [
        AuditAction.CREATE
    ]
    by_call = await repo.get_by_correlation_id(correlation)
    assert [log.action for log in by_call][:3] == [
        AuditAction.LOGIN, AuditAction.CREATE, AuditAction.LOGOUT,
    ]  # fmt: skip
    assert len(by_call) == 4


async def test_recent_activity_keeps_the_window_and_the_limit(session):
    repo = AuditLogRepository(session)
    now = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)  # before anything other tests store

    async def log_at(moment: datetime) -> uuid.UUID:
        return (await repo.create_log(None, AuditAction.CREATE, "x", timestamp=moment)).id

    old = await log_at(now - timedelta(hours=30))
    fresh = await log_at(now - timedelta(hours=1))
    newest = [await log_at(now - timedelta(seconds=s)) for s in (3, 2, 1)]
    await log_at(now + timedelta(seconds=1))  # not activity yet at `now`
    assert [log.id for log in await repo.get_recent_activity(24, 2, now=now)] == [
        newest[2],
        newest[1],
    ]
    window = [log.id for log in await repo.get_recent_activity(24, 100, now=now)]
    assert window == [*newest[::-1], fresh]
    wider = [log.id for log in await repo.get_recent_activity(hours=48, limit=100, now=now)]
    assert wider == [*newest[::-1], fresh, old]


async def test_search_combines_filters_and_continues_after_a_cursor(session):
    repo = AuditLogRepository(session)
    entity, user = uuid.uuid4(), uuid.uuid4()
    logs = [
        await repo.create_log(
            user if i % 2 else None,
            AuditAction.UPDATE if i % 3 else AuditAction.DELETE,
            "request", entity, timestamp=NOW - timedelta(seconds=10 - i),
        )
        for i in range(10)
    ]  # fmt: skip
    everything = await repo.search(AuditLogFilter(entity_id=entity))
    assert [log.id for log in everything] == [log.id for log in reversed(logs)]
    mine = await repo.search(AuditLogFilter(entity_id=entity, user_id=user))
    assert {log.id for log in mine} == {log.id for i, log in enumerate(logs) if i % 2}
    deletes = await repo.search(
        AuditLogFilter(entity_type="request", entity_id=entity, action=AuditAction.DELETE)
    )
    assert {log.id for log in deletes} == {logs[0].id, logs[3].id, logs[6].id, logs[9].id}
    window = await repo.search(
        AuditLogFilter(entity_id=entity, start=logs[2].timestamp, end=logs[5].timestamp)
    )
    assert [log.id for log in window] == [logs[4].id, logs[3].id, logs[2].id]
    after = await repo.search(
        AuditLogFilter(entity_id=entity), after=Cursor(logs[7].timestamp, logs[7].id), limit=3
    )
    assert [log.id for log in after] == [logs[6].id, logs[5].id, logs[4].id]
    with pytest.raises(InvalidArgument):
        await repo.search(AuditLogFilter(), limit=0)


async def test_insert_events_stores_each_id_once(session):
    repo = AuditLogRepository(session)
    events = [event() for _ in range(5)]
    assert await repo.insert_events(check_events(events)) == 5
    again = check_events([*events[:2], event(), events[0]])
    assert await repo.insert_events(again) == 1
    stored = await repo.get_by_entity("request", uuid.UUID(events[3].entity_id))
    assert len(stored) == 1 and stored[0].id == uuid.UUID(events[3].event_id)
    assert stored[0].details == {"status": "APPROVED"} and stored[0].action == AuditAction.UPDATE


async def test_base_repository_reads_work(session):
    repo = AuditLogRepository(session)
    log = await repo.create_log(None, AuditAction.UPLOAD, "log_sample", uuid.uuid4())
    assert (await repo.get_by_id(log.id)) is log
    assert await repo.exists(log.id)
    assert await repo.count({"entity_id": log.entity_id}) == 1


async def test_what_the_database_refuses_is_bad_input_and_stores_nothing(session):
    repo = AuditLogRepository(session)
    good = check_events([event()]).rows[0]
    not_an_object = (str(uuid.uuid4()), *good[1:5], "[1, 2]", *good[6:])
    with pytest.raises(InvalidArgument, match="details_object"):
        await repo.insert_events(EventBatch([good, not_an_object]))  # type: ignore[list-item]
    assert await repo.get_by_id(uuid.UUID(good[0])) is None
    assert await repo.insert_events(EventBatch([good])) == 1
