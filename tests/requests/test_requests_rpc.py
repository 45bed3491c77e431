"""CreateRequest, ListRequests, GetRequest, UpdateRequest, GetRequestStatistics over gRPC:
results, visibility, bad input and audit events."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import struct_pb2
from google.rpc import error_details_pb2, status_pb2
from tagen.requests.v1 import requests_pb2 as pb

from services.requests.enums import RequestStatus
from tests.requests.conftest import audit_events, make_request


def value(python: object) -> struct_pb2.Value:
    message = struct_pb2.Value()
    if python is None:
        message.null_value = struct_pb2.NULL_VALUE
    elif isinstance(python, dict):
        message.struct_value.update(python)
    elif isinstance(python, list):
        message.list_value.extend(python)
    elif isinstance(python, str):
        message.string_value = python
    else:
        message.number_value = float(python)  # type: ignore[arg-type]
    return message


def bad_field(err: grpc.aio.AioRpcError) -> str:
    """The field named by an INVALID_ARGUMENT's BadRequest detail."""
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    raw = dict(err.trailing_metadata() or ())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(raw)
    detail = error_details_pb2.BadRequest()
    status.details[0].Unpack(detail)
    return detail.field_violations[0].field


async def create(rpc, caller, **fields) -> pb.Request:
    fields.setdefault("source_system", "Apache")
    fields.setdefault("description", "access logs")
    reply = await rpc.CreateRequest(pb.CreateRequestRequest(**fields), metadata=caller.md)
    return reply.request


async def test_create_request(rpc, cast, clean) -> None:
    created = await create(
        rpc, cast.owner, source_system="  Cisco ASA ", metadata=value({"team": "net", "n": 2})
    )
    assert created.status == pb.NEW and created.source_system == "Cisco ASA"
    assert created.created_by == str(cast.owner.user_id) and created.cim_required is True
    assert dict(created.metadata) == {"team": "net", "n": 2}
    assert created.created_at.seconds > 0 and not created.HasField("approved_at")
    off = await create(rpc, cast.admin, cim_required=False)
    assert off.cim_required is False and not off.HasField("metadata")
    [event] = await audit_events(clean, created.id)
    assert event.action == "CREATE" and event.entity_type == "request"
    assert event.user_id == cast.owner.user_id
    assert event.details == {"source_system": "Cisco ASA", "new_status": "NEW"}
    assert event.correlation_id is not None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"source_system": "  "}, "source_system"),
        ({"source_system": "x" * 256}, "source_system"),
        ({"description": "d" * 10_001}, "description"),
        ({"metadata": value([1, 2])}, "metadata"),
        ({"metadata": value("text")}, "metadata"),
        ({"metadata": value(3)}, "metadata"),
    ],
)
async def test_create_refuses_bad_input(rpc, cast, clean, fields, field) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await create(rpc, cast.owner, **fields)
    assert bad_field(err.value) == field
    assert field in (err.value.details() or "")
    assert await audit_events(clean) == []


async def test_get_request_with_details(rpc, cast) -> None:
    created = await create(rpc, cast.owner)
    got = await rpc.GetRequest(pb.GetRequestRequest(request_id=created.id), metadata=cast.owner.md)
    assert got.request == created
    assert list(got.log_samples) == [] and list(got.ta_revisions) == []
    for reader in (cast.approver, cast.admin, cast.service):
        seen = await rpc.GetRequest(pb.GetRequestRequest(request_id=created.id), metadata=reader.md)
        assert seen.request.id == created.id


async def test_get_request_not_found_and_bad_id(rpc, cast, clean) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.GetRequest(
            pb.GetRequestRequest(request_id=str(uuid.uuid4())), metadata=cast.admin.md
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.GetRequest(pb.GetRequestRequest(request_id="nope"), metadata=cast.admin.md)
    assert bad_field(err.value) == "request_id"


async def test_requestors_see_only_their_own(rpc, cast) -> None:
    mine = await create(rpc, cast.owner, source_system="Apache")
    theirs = await create(rpc, cast.other, source_system="Nginx")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.GetRequest(pb.GetRequestRequest(request_id=theirs.id), metadata=cast.owner.md)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND  # its existence is not revealed
    listed = await rpc.ListRequests(pb.ListRequestsRequest(), metadata=cast.owner.md)
    assert [r.id for r in listed.requests] == [mine.id]
    for everyone in (cast.approver, cast.admin, cast.service):
        listed = await rpc.ListRequests(pb.ListRequestsRequest(), metadata=everyone.md)
        assert {r.id for r in listed.requests} == {mine.id, theirs.id}


async def test_list_filters_and_pages(rpc, cast, clean) -> None:
    ids = []
    for i in range(5):
        ids.append((await create(rpc, cast.owner, source_system=f"Apache {i}")).id)
    other = await create(rpc, cast.owner, source_system="Cisco", description="firewall")
    await make_request(clean, cast.owner.user_id, RequestStatus.COMPLETED, source_system="Old")
    found = await rpc.ListRequests(pb.ListRequestsRequest(query="apache"), metadata=cast.admin.md)
    assert {r.id for r in found.requests} == set(ids)
    found = await rpc.ListRequests(pb.ListRequestsRequest(query="FIREWALL"), metadata=cast.admin.md)
    assert [r.id for r in found.requests] == [other.id]
    done = await rpc.ListRequests(
        pb.ListRequestsRequest(status=pb.COMPLETED), metadata=cast.owner.md
    )
    assert [r.source_system for r in done.requests] == ["Old"]
    seen: list[str] = []
    token = ""
    while True:
        page = await rpc.ListRequests(
            pb.ListRequestsRequest(query="apache", page_size=2, page_token=token),
            metadata=cast.admin.md,
        )
        seen += [r.id for r in page.requests]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.ListRequests(
            pb.ListRequestsRequest(page_token="garbage!"), metadata=cast.admin.md
        )
    assert bad_field(err.value) == "page_token"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.ListRequests(pb.ListRequestsRequest(status=42), metadata=cast.admin.md)
    assert bad_field(err.value) == "status"


async def test_update_request(rpc, cast, clean) -> None:
    created = await create(rpc, cast.owner, metadata=value({"a": 1}))
    updated = await rpc.UpdateRequest(
        pb.UpdateRequestRequest(
            request_id=created.id, description="more detail", cim_required=False
        ),
        metadata=cast.owner.md,
    )
    request = updated.request
    assert request.description == "more detail" and request.cim_required is False
    assert request.source_system == "Apache" and dict(request.metadata) == {"a": 1}
    cleared = await rpc.UpdateRequest(
        pb.UpdateRequestRequest(request_id=created.id, metadata=value(None)),
        metadata=cast.admin.md,
    )
    assert not cleared.request.HasField("metadata")
    same = await rpc.UpdateRequest(
        pb.UpdateRequestRequest(request_id=created.id, description="more detail"),
        metadata=cast.owner.md,
    )
    assert same.request.description == "more detail"
    events = await audit_events(clean, created.id)
    assert [(e.action, e.details) for e in events] == [
        ("CREATE", {"source_system": "Apache", "new_status": "NEW"}),
        ("UPDATE", {"changed": ["cim_required", "description"]}),
        ("UPDATE", {"changed": ["metadata"]}),
    ]


async def test_update_refusals(rpc, cast, clean) -> None:
    created = await create(rpc, cast.owner)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UpdateRequest(
            pb.UpdateRequestRequest(request_id=created.id, metadata=value([1])),
            metadata=cast.owner.md,
        )
    assert bad_field(err.value) == "metadata"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UpdateRequest(
            pb.UpdateRequestRequest(request_id=created.id, source_system=""),
            metadata=cast.owner.md,
        )
    assert bad_field(err.value) == "source_system"
    for stranger in (cast.other,):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await rpc.UpdateRequest(
                pb.UpdateRequestRequest(request_id=created.id, description="x"),
                metadata=stranger.md,
            )
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    submitted = await make_request(clean, cast.owner.user_id, RequestStatus.PENDING_APPROVAL)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UpdateRequest(
            pb.UpdateRequestRequest(request_id=str(submitted.id), description="late"),
            metadata=cast.owner.md,
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UpdateRequest(
            pb.UpdateRequestRequest(request_id=str(uuid.uuid4()), description="x"),
            metadata=cast.admin.md,
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_statistics_every_status(rpc, cast, clean) -> None:
    empty = await rpc.GetRequestStatistics(pb.GetRequestStatisticsRequest(), metadata=cast.admin.md)
    assert dict(empty.counts) == {s.value: 0 for s in RequestStatus}
    for status in (RequestStatus.NEW, RequestStatus.NEW, RequestStatus.REJECTED):
        await make_request(clean, cast.owner.user_id, status)
    stats = await rpc.GetRequestStatistics(
        pb.GetRequestStatisticsRequest(), metadata=cast.approver.md
    )
    assert dict(stats.counts) == {
        **{s.value: 0 for s in RequestStatus},
        "NEW": 2,
        "REJECTED": 1,
    }
