"""Every seed method of the requests repositories, on a real PostgreSQL (rolled back)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.enums import AuditAction
from services.kernel.errors import AlreadyExists, FailedPrecondition
from services.kernel.outbox import AuditRecorder
from services.requests.enums import RequestStatus, TARevisionType
from services.requests.models import AuditOutbox, LogSample, Request, TARevision
from services.requests.repositories import (
    LogSampleRepository,
    RequestRepository,
    RequestWrites,
    TARevisionRepository,
)


@pytest.fixture
async def db(clean, session: AsyncSession) -> AsyncSession:
    """An empty requests schema inside a transaction rolled back after the test."""
    return session


async def add_request(
    session: AsyncSession, owner: uuid.UUID | None = None, **values: object
) -> Request:
    return await RequestRepository(session).create(
        {
            "created_by": owner or uuid.uuid4(),
            "source_system": values.pop("source_system", "Apache"),
            "description": values.pop("description", "web access logs"),
            **values,
        }
    )


async def add_sample(session: AsyncSession, request: Request, **values: object) -> LogSample:
    return await LogSampleRepository(session).create(
        {
            "request_id": request.id,
            "filename": "a.log",
            "file_size": 10,
            "storage_key": f"samples/{request.id}/{uuid.uuid4()}",
            "storage_bucket": "b",
            **values,
        }
    )


async def add_revision(session: AsyncSession, request: Request, version: int) -> TARevision:
    return await TARevisionRepository(session).create(
        {
            "request_id": request.id,
            "version": version,
            "storage_key": f"revisions/{request.id}/{uuid.uuid4()}",
            "storage_bucket": "b",
            "generated_by": TARevisionType.AUTO,
        }
    )


async def test_base_repository_api(db: AsyncSession) -> None:
    repo = RequestRepository(db)
    request = await add_request(db, request_metadata={"team": "web"})
    assert request.status is RequestStatus.NEW and request.cim_required is True
    assert request.created_at is not None and request.request_metadata == {"team": "web"}
    assert await repo.exists(request.id)
    assert (await repo.get_by_id(request.id)) is request
    updated = await repo.update(request.id, {"description": "changed"})
    assert updated is not None and updated.description == "changed"
    assert await repo.count({"status": RequestStatus.NEW}) == 1
    assert len(await repo.get_all(0, 10, order_by="created_at", desc=True)) == 1
    assert await repo.delete(request.id)
    assert not await repo.exists(request.id)


async def test_create_with_audit_event_writes_both_in_one_statement(db: AsyncSession) -> None:
    owner = uuid.uuid4()
    values = {
        "id": uuid.uuid4(),
        "created_by": owner,
        "status": RequestStatus.NEW,
        "source_system": "Apache",
        "description": "d",
        "cim_required": False,
        "request_metadata": {"k": [1, 2]},
    }
    event = AuditRecorder(AuditOutbox).event_values(
        AuditAction.CREATE, "request", values["id"], {"new_status": "NEW"}, user_id=owner
    )
    created = await RequestWrites(await db.connection()).create_with_audit_event(values, event)
    assert created.id == values["id"] and created.request_metadata == {"k": [1, 2]}
    assert created.status is RequestStatus.NEW and created.created_by == owner
    assert created.created_at is not None and created.cim_required is False
    stored = await RequestRepository(db).get_by_id(values["id"])
    assert stored is not None and stored.status is RequestStatus.NEW
    outbox = (await db.scalars(select(AuditOutbox))).all()
    assert [(e.id, e.entity_id, e.action, e.user_id) for e in outbox] == [
        (event["id"], values["id"], "CREATE", owner)
    ]


async def test_get_by_user_newest_first(db: AsyncSession) -> None:
    me, someone = uuid.uuid4(), uuid.uuid4()
    first = await add_request(db, me, source_system="one")
    await db.flush()
    second = await add_request(db, me, source_system="two", status=RequestStatus.PENDING_APPROVAL)
    await add_request(db, someone)
    repo = RequestRepository(db)
    mine = await repo.get_by_user(me)
    assert {r.id for r in mine} == {first.id, second.id}
    assert mine == sorted(mine, key=lambda r: (r.created_at, r.id), reverse=True)
    assert [r.id for r in await repo.get_by_user(me, status=RequestStatus.NEW)] == [first.id]
    assert len(await repo.get_by_user(me, skip=1, limit=1)) == 1
    assert await repo.get_by_user(uuid.uuid4()) == []


async def test_get_pending_approval_oldest_first(db: AsyncSession) -> None:
    pending = []
    for i in range(3):
        pending.append(
            await add_request(
                db,
                status=RequestStatus.PENDING_APPROVAL,
                created_at=datetime(2030, 1, 1, tzinfo=UTC) + timedelta(minutes=i),
            )
        )
    await add_request(db, status=RequestStatus.NEW)
    repo = RequestRepository(db)
    assert [r.id for r in await repo.get_pending_approval()] == [r.id for r in pending]
    assert [r.id for r in await repo.get_pending_approval(skip=1, limit=1)] == [pending[1].id]


async def test_approve_request_only_from_pending(db: AsyncSession) -> None:
    repo = RequestRepository(db)
    request = await add_request(db, status=RequestStatus.PENDING_APPROVAL)
    approver = uuid.uuid4()
    approved = await repo.approve_request(request.id, approver)
    assert approved is not None and approved.status is RequestStatus.APPROVED
    assert approved.approved_by == approver and approved.approved_at is not None
    assert await repo.approve_request(request.id, approver) is None  # no longer pending
    assert await repo.approve_request(uuid.uuid4(), approver) is None


async def test_reject_request_with_reason(db: AsyncSession) -> None:
    repo = RequestRepository(db)
    request = await add_request(db, status=RequestStatus.PENDING_APPROVAL)
    rejected = await repo.reject_request(request.id, "no samples")
    assert rejected is not None and rejected.status is RequestStatus.REJECTED
    assert rejected.rejection_reason == "no samples" and rejected.approved_by is None
    assert await repo.reject_request(request.id, "again") is None


async def test_change_status_is_guarded(db: AsyncSession) -> None:
    repo = RequestRepository(db)
    request = await add_request(db, status=RequestStatus.VALIDATING)
    with pytest.raises(FailedPrecondition):
        await repo.change_status(request.id, RequestStatus.VALIDATING, RequestStatus.NEW)
    assert (
        await repo.change_status(request.id, RequestStatus.NEW, RequestStatus.PENDING_APPROVAL)
        is None
    )
    done = await repo.change_status(
        request.id,
        RequestStatus.VALIDATING,
        RequestStatus.COMPLETED,
        completed_at=datetime.now(UTC),
    )
    assert done is not None and done.status is RequestStatus.COMPLETED and done.completed_at
    assert (await repo.lock(request.id)).status is RequestStatus.COMPLETED  # type: ignore[union-attr]
    assert await repo.lock(uuid.uuid4()) is None


async def test_get_full_details_loads_live_samples_and_revisions(db: AsyncSession) -> None:
    request = await add_request(db)
    live = await add_sample(db, request)
    gone = await add_sample(db, request)
    await LogSampleRepository(db).mark_as_deleted(gone.id)
    for version in (2, 1):
        await add_revision(db, request, version)
    db.expunge_all()
    details = await RequestRepository(db).get_full_details(request.id)
    assert details is not None
    db.expunge_all()  # detached: any lazy load would fail now
    assert [s.id for s in details.log_samples] == [live.id]
    assert [r.version for r in details.ta_revisions] == [1, 2]
    assert await RequestRepository(db).get_full_details(uuid.uuid4()) is None


async def test_relationships_never_load_lazily(db: AsyncSession) -> None:
    request = await add_request(db)
    db.expunge_all()
    plain = await RequestRepository(db).get_by_id(request.id)
    assert plain is not None
    with pytest.raises(sa_exc.InvalidRequestError):
        _ = plain.log_samples


async def test_search_requests_text_status_and_owner(db: AsyncSession) -> None:
    owner = uuid.uuid4()
    apache = await add_request(db, owner, source_system="Apache HTTPD", description="access")
    cisco = await add_request(
        db,
        source_system="Cisco ASA",
        description="firewall 100%_done",
        status=RequestStatus.COMPLETED,
    )
    repo = RequestRepository(db)
    assert [r.id for r in await repo.search_requests("apache")] == [apache.id]
    assert [r.id for r in await repo.search_requests("FIREWALL")] == [cisco.id]
    assert [r.id for r in await repo.search_requests("100%_")] == [cisco.id]
    assert await repo.search_requests("h_t") == []  # "_" is literal, not a wildcard
    assert [r.id for r in await repo.search_requests("", RequestStatus.COMPLETED)] == [cisco.id]
    assert await repo.search_requests("apache", RequestStatus.COMPLETED) == []
    assert len(await repo.search_requests("")) == 2
    assert [r.id for r in await repo.search_requests("", created_by=owner)] == [apache.id]


async def test_get_statistics_counts_every_status(db: AsyncSession) -> None:
    repo = RequestRepository(db)
    assert await repo.get_statistics() == {s.value: 0 for s in RequestStatus}
    for status in (RequestStatus.NEW, RequestStatus.NEW, RequestStatus.FAILED):
        await add_request(db, status=status)
    stats = await repo.get_statistics()
    assert set(stats) == {s.value for s in RequestStatus}
    assert stats["NEW"] == 2 and stats["FAILED"] == 1 and stats["COMPLETED"] == 0


async def test_log_samples_by_request_cleanup_and_soft_delete(db: AsyncSession) -> None:
    request = await add_request(db)
    other = await add_request(db)
    now = datetime.now(UTC)
    old = await add_sample(db, request, retention_until=now - timedelta(days=1))
    fresh = await add_sample(db, request, retention_until=now + timedelta(days=1))
    forever = await add_sample(db, request, retention_until=None)
    elsewhere = await add_sample(db, other, retention_until=now - timedelta(days=2))
    samples = LogSampleRepository(db)
    assert {s.id for s in await samples.get_by_request(request.id)} == {
        old.id,
        fresh.id,
        forever.id,
    }
    due = await samples.get_samples_for_cleanup(now)
    assert [s.id for s in due] == [elsewhere.id, old.id]
    assert [s.id for s in await samples.get_samples_for_cleanup(now, limit=1, lock=True)] == [
        elsewhere.id
    ]
    assert await samples.get_samples_for_cleanup(now - timedelta(days=3)) == []
    assert await samples.mark_as_deleted(old.id)
    assert not await samples.mark_as_deleted(old.id)
    assert not await samples.mark_as_deleted(uuid.uuid4())
    assert await samples.get_live(old.id) is None
    assert (await samples.get_live(fresh.id, for_update=True)) is fresh
    assert {s.id for s in await samples.get_by_request(request.id)} == {fresh.id, forever.id}
    assert [s.id for s in await samples.get_samples_for_cleanup(now)] == [elsewhere.id]
    deleted = await samples.get_by_id(old.id)
    assert deleted is not None and deleted.deleted_at is not None


async def test_ta_revision_versions(db: AsyncSession) -> None:
    request = await add_request(db)
    revisions = TARevisionRepository(db)
    assert await revisions.get_next_version(request.id) == 1
    assert await revisions.get_latest_revision(request.id) is None
    assert await revisions.get_revision_history(request.id) == []
    for version in (1, 2, 3):
        await add_revision(db, request, version)
    assert await revisions.get_next_version(request.id) == 4
    latest = await revisions.get_latest_revision(request.id)
    assert latest is not None and latest.version == 3
    assert [r.version for r in await revisions.get_revision_history(request.id)] == [3, 2, 1]
    second = await revisions.get_by_version(request.id, 2)
    assert second is not None and second.version == 2
    assert await revisions.get_by_version(request.id, 9) is None


async def test_ta_revision_version_is_unique_per_request(db: AsyncSession) -> None:
    request = await add_request(db)
    await add_revision(db, request, 1)
    with pytest.raises(AlreadyExists) as err:
        async with db.begin_nested():
            await add_revision(db, request, 1)
    assert "uq_ta_revisions_request_id_version" in err.value.message
