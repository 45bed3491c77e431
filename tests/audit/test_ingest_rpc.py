"""AuditService.RecordEvents over gRPC: service identities only, idempotent, all or nothing."""

import uuid

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from tagen.audit.v1 import audit_pb2 as pb

from services.audit.event_batch import MAX_BATCH_EVENTS
from services.kernel.enums import UserRoleEnum
from tests.audit.conftest import event, stored
from tests.conftest import bearer


def _violation(error: grpc.aio.AioRpcError) -> error_details_pb2.BadRequest.FieldViolation:
    status = status_pb2.Status.FromString(
        dict(error.trailing_metadata())["grpc-status-details-bin"]
    )
    bad_request = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad_request)
    return bad_request.field_violations[0]


async def test_a_batch_is_stored_once_however_often_it_is_sent(audit, as_service, database):
    events = [event() for _ in range(50)]
    first = await audit.RecordEvents(pb.RecordEventsRequest(events=events), metadata=as_service)
    assert (first.recorded, first.duplicates) == (50, 0)
    mixed = [*events[:20], event(), event()]
    again = await audit.RecordEvents(pb.RecordEventsRequest(events=mixed), metadata=as_service)
    assert (again.recorded, again.duplicates) == (2, 20)
    assert await stored(database, [e.event_id for e in events + mixed]) == 52


async def test_the_same_event_twice_in_one_batch_is_stored_once(audit, as_service, database):
    one = event()
    reply = await audit.RecordEvents(pb.RecordEventsRequest(events=[one, one]), metadata=as_service)
    assert (reply.recorded, reply.duplicates) == (1, 1)
    assert await stored(database, [one.event_id]) == 1


async def test_an_empty_batch_records_nothing(audit, as_service):
    reply = await audit.RecordEvents(pb.RecordEventsRequest(), metadata=as_service)
    assert (reply.recorded, reply.duplicates) == (0, 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"action": 99}, "action"),
        ({"event_id": ""}, "event_id"),
        ({"event_id": "1234"}, "event_id"),
        ({"details_json": "[1]"}, "details_json"),
        ({"details_json": "{oops"}, "details_json"),
        ({"entity_id": "nope"}, "entity_id"),
    ],
)
async def test_a_bad_event_refuses_the_whole_batch(audit, as_service, database, change, field):
    good = [event() for _ in range(3)]
    bad = event()
    for name, value in change.items():
        setattr(bad, name, value)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await audit.RecordEvents(
            pb.RecordEventsRequest(events=[*good[:2], bad, good[2]]), metadata=as_service
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"events[2].{field}" in caught.value.details()
    assert _violation(caught.value).field == f"events[2].{field}"
    if bad.event_id:
        assert bad.event_id in caught.value.details()
    assert await stored(database, [e.event_id for e in good]) == 0


async def test_a_batch_over_the_limit_is_refused(audit, as_service, database):
    events = [event() for _ in range(MAX_BATCH_EVENTS + 1)]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await audit.RecordEvents(pb.RecordEventsRequest(events=events), metadata=as_service)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violation(caught.value).field == "events"
    assert await stored(database, [events[0].event_id]) == 0


async def test_only_service_identities_may_record(audit, tokens):
    request = pb.RecordEventsRequest(events=[event()])
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await audit.RecordEvents(request)
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    admin = bearer(tokens.user(uuid.uuid4(), UserRoleEnum.ADMIN))
    with pytest.raises(grpc.aio.AioRpcError) as user:
        await audit.RecordEvents(request, metadata=admin)
    assert user.value.code() == grpc.StatusCode.PERMISSION_DENIED
