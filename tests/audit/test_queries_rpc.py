"""ListAuditLogs and GetRecentActivity over gRPC: filters, pages, ADMIN only."""

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import timestamp_pb2
from sqlalchemy import func, select
from tagen.audit.v1 import audit_pb2 as pb

from services.audit.models import AuditLog
from services.kernel.enums import UserRoleEnum
from tests.audit.conftest import event
from tests.conftest import bearer

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


@pytest.fixture
async def trail(audit, as_service):
    """Twelve events of one request by two users, one per second, stored through the RPC."""
    request_id, alice, bob, call = (str(uuid.uuid4()) for _ in range(4))
    events = [
        event(
            entity_id=request_id,
            user_id=alice if i % 2 == 0 else bob,
            action=pb.UPDATE if i % 4 else pb.APPROVE,
            correlation_id=call if i < 3 else "",
            details_json=f'{{"step": {i}, "who": "x"}}',
            occurred_at=T0 + timedelta(seconds=i),
        )
        for i in range(12)
    ]
    await audit.RecordEvents(pb.RecordEventsRequest(events=events), metadata=as_service)
    return {"request_id": request_id, "alice": alice, "bob": bob, "call": call, "events": events}


async def test_filters_combine_and_results_come_newest_first(audit, as_admin, trail):
    reply = await audit.ListAuditLogs(
        pb.ListAuditLogsRequest(entity_type="request", entity_id=trail["request_id"]),
        metadata=as_admin,
    )
    assert [log.id for log in reply.audit_logs] == [e.event_id for e in reversed(trail["events"])]
    assert reply.next_page_token == ""
    newest = reply.audit_logs[0]
    assert newest.action == pb.UPDATE and newest.user_id == trail["bob"]
    assert newest.details["step"] == 11 and newest.details["who"] == "x"
    assert newest.ip_address == "10.0.0.7" and newest.user_agent == "pytest"
    assert newest.timestamp.ToDatetime(tzinfo=UTC) == T0 + timedelta(seconds=11)

    by_user = await audit.ListAuditLogs(
        pb.ListAuditLogsRequest(entity_id=trail["request_id"], user_id=trail["alice"]),
        metadata=as_admin,
    )
    assert {log.id for log in by_user.audit_logs} == {
        e.event_id for i, e in enumerate(trail["events"]) if i % 2 == 0
    }
    approvals = await audit.ListAuditLogs(
        pb.ListAuditLogsRequest(entity_id=trail["request_id"], action=pb.APPROVE),
        metadata=as_admin,
    )
    assert [log.id for log in approvals.audit_logs] == [
        trail["events"][i].event_id for i in (8, 4, 0)
    ]
    window = await audit.ListAuditLogs(
        pb.ListAuditLogsRequest(
            entity_id=trail["request_id"],
            start_time=_ts(T0 + timedelta(seconds=5)),
            end_time=_ts(T0 + timedelta(seconds=8)),
        ),
        metadata=as_admin,
    )
    assert [log.id for log in window.audit_logs] == [trail["events"][i].event_id for i in (7, 6, 5)]
    by_call = await audit.ListAuditLogs(
        pb.ListAuditLogsRequest(correlation_id=trail["call"]), metadata=as_admin
    )
    assert {log.id for log in by_call.audit_logs} == {e.event_id for e in trail["events"][:3]}


async def test_pages_follow_each_other_without_gaps_or_repeats(audit, as_admin, trail):
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        reply = await audit.ListAuditLogs(
            pb.ListAuditLogsRequest(entity_id=trail["request_id"], page_size=5, page_token=token),
            metadata=as_admin,
        )
        seen += [log.id for log in reply.audit_logs]
        pages += 1
        token = reply.next_page_token
        if not token:
            break
    assert pages == 3
    assert seen == [e.event_id for e in reversed(trail["events"])]


async def test_recent_activity(audit, as_admin, as_service, database):
    async with database.read_only() as session:
        latest = await session.scalar(select(func.max(AuditLog.timestamp)))
    after = max(latest or T0, datetime.now(UTC) - timedelta(seconds=1))  # newer than the rest
    newest = [event(occurred_at=after + timedelta(microseconds=1 + i)) for i in range(3)]
    await audit.RecordEvents(pb.RecordEventsRequest(events=newest), metadata=as_service)
    reply = await audit.GetRecentActivity(
        pb.GetRecentActivityRequest(hours=1, limit=2), metadata=as_admin
    )
    assert [log.id for log in reply.audit_logs] == [newest[2].event_id, newest[1].event_id]
    defaults = await audit.GetRecentActivity(pb.GetRecentActivityRequest(), metadata=as_admin)
    assert 3 <= len(defaults.audit_logs) <= 50


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.ListAuditLogsRequest(entity_id="nope"), "entity_id"),
        (pb.ListAuditLogsRequest(user_id="1"), "user_id"),
        (pb.ListAuditLogsRequest(correlation_id="x"), "correlation_id"),
        (pb.ListAuditLogsRequest(action=77), "action"),  # type: ignore[arg-type]
        (pb.ListAuditLogsRequest(page_size=501), "page_size"),
        (pb.ListAuditLogsRequest(page_token="garbage!"), "page_token"),
        (
            pb.ListAuditLogsRequest(start_time=_ts(T0), end_time=_ts(T0 - timedelta(hours=1))),
            "end_time",
        ),
    ],
)
async def test_bad_list_requests_name_the_field(audit, as_admin, request_, field):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await audit.ListAuditLogs(request_, metadata=as_admin)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(field)


@pytest.mark.parametrize(
    ("hours", "limit", "field"), [(-1, 10, "hours"), (9000, 10, "hours"), (1, 501, "limit")]
)
async def test_bad_recent_requests_name_the_field(audit, as_admin, hours, limit, field):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await audit.GetRecentActivity(
            pb.GetRecentActivityRequest(hours=hours, limit=limit), metadata=as_admin
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(field)


@pytest.mark.parametrize("role", [UserRoleEnum.REQUESTOR, UserRoleEnum.APPROVER])
async def test_queries_are_for_admins_only(audit, tokens, as_service, role):
    user = bearer(tokens.user(uuid.uuid4(), role))
    for call, request in (
        (audit.ListAuditLogs, pb.ListAuditLogsRequest()),
        (audit.GetRecentActivity, pb.GetRecentActivityRequest()),
    ):
        for metadata in (user, as_service):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call(request, metadata=metadata)
            assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await call(request)
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
