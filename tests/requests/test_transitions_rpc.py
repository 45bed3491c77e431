"""The whole transition table through the service: from every status, each transition RPC
either moves the request (with its stamps and audit event) or answers FAILED_PRECONDITION
and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from tagen.requests.v1 import requests_pb2 as pb

from services.requests.enums import RequestStatus as S
from services.requests.repositories import RequestRepository
from tests.requests.conftest import audit_events, make_request
from tests.requests.streams import sample_stream
from tests.requests.test_lifecycle import ALLOWED, STARTS_ATTEMPT
from tests.requests.test_requests_rpc import bad_field

Call = Callable[[Any, Any, str], Awaitable[Any]]

RPCS: dict[S, tuple[str, Call]] = {
    S.PENDING_APPROVAL: (
        "owner",
        lambda rpc, md, rid: rpc.SubmitRequest(
            pb.SubmitRequestRequest(request_id=rid), metadata=md
        ),
    ),
    S.APPROVED: (
        "approver",
        lambda rpc, md, rid: rpc.ApproveRequest(
            pb.ApproveRequestRequest(request_id=rid), metadata=md
        ),
    ),
    S.REJECTED: (
        "approver",
        lambda rpc, md, rid: rpc.RejectRequest(
            pb.RejectRequestRequest(request_id=rid, rejection_reason="samples too small"),
            metadata=md,
        ),
    ),
    S.GENERATING_TA: (
        "service",
        lambda rpc, md, rid: rpc.StartGeneration(
            pb.StartGenerationRequest(request_id=rid), metadata=md
        ),
    ),
    S.VALIDATING: (
        "service",
        lambda rpc, md, rid: rpc.StartValidation(
            pb.StartValidationRequest(request_id=rid), metadata=md
        ),
    ),
    S.COMPLETED: (
        "service",
        lambda rpc, md, rid: rpc.CompleteRequest(
            pb.CompleteRequestRequest(request_id=rid), metadata=md
        ),
    ),
    S.FAILED: (
        "service",
        lambda rpc, md, rid: rpc.FailRequest(
            pb.FailRequestRequest(request_id=rid, reason="splunk refused props.conf"), metadata=md
        ),
    ),
}
AUDIT = {S.APPROVED: "APPROVE", S.REJECTED: "REJECT"}
#: New attempts have their own calls (RegenerateRequest, UploadTARevision): the service
#: calls above refuse them.
BY_THESE_RPCS = (ALLOWED - STARTS_ATTEMPT) | {(S.PENDING_APPROVAL, S.APPROVED)}


async def with_sample(rpc: Any, cast: Any, rid: str) -> None:
    await rpc.UploadLogSample(sample_stream(rid, b"127.0.0.1 - - x\n"), metadata=cast.owner.md)


@pytest.mark.parametrize("target", list(RPCS), ids=str)
@pytest.mark.parametrize("source", list(S), ids=str)
async def test_transition(rpc, cast, clean, source: S, target: S) -> None:
    request = await make_request(clean, cast.owner.user_id, source)
    who, call = RPCS[target]
    caller = getattr(cast, who)
    rid = str(request.id)
    if source == S.NEW:
        await with_sample(rpc, cast, rid)
    if (source, target) in BY_THESE_RPCS:
        reply = await call(rpc, caller.md, rid)
        assert reply.request.status == pb.RequestStatus.Value(target.value)
        moved = reply.request
        assert bool(moved.HasField("approved_at")) == (target == S.APPROVED)
        assert moved.approved_by == (str(caller.user_id) if target == S.APPROVED else "")
        assert bool(moved.HasField("completed_at")) == (target == S.COMPLETED)
        assert moved.rejection_reason == ("samples too small" if target == S.REJECTED else "")
        assert moved.HasField("failure") == (target == S.FAILED)
        if target == S.FAILED:
            stage = pb.GENERATION if source == S.GENERATING_TA else pb.VALIDATION
            assert moved.failure.stage == stage
            assert moved.failure.message == "splunk refused props.conf"
        assert moved.attempt == (1 if target == S.APPROVED else 0)
        [event] = await audit_events(clean, rid)
        assert event.action == AUDIT.get(target, "UPDATE")
        assert event.details["previous_status"] == source.value
        assert event.details["new_status"] == target.value
        assert event.user_id == caller.user_id  # None for the service identity
    else:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call(rpc, caller.md, rid)
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert source.value in (err.value.details() or "")
        async with clean.read_only() as session:
            after = await RequestRepository(session).get_by_id(request.id)
        assert after is not None
        assert (after.status, after.updated_at) == (source, request.updated_at)
        assert after.approved_at is None and after.completed_at is None
        assert after.rejection_reason is None
        assert await audit_events(clean, rid) == []


async def test_full_flow_through_the_rpcs(rpc, cast, clean) -> None:
    request = await make_request(clean, cast.owner.user_id)
    rid = str(request.id)
    await with_sample(rpc, cast, rid)
    for target in (S.PENDING_APPROVAL, S.APPROVED, S.GENERATING_TA, S.VALIDATING, S.COMPLETED):
        who, call = RPCS[target]
        reply = await call(rpc, getattr(cast, who).md, rid)
        assert reply.request.status == pb.RequestStatus.Value(target.value)
    events = await audit_events(clean, rid)
    assert [(e.details["previous_status"], e.details["new_status"]) for e in events] == [
        ("NEW", "PENDING_APPROVAL"),
        ("PENDING_APPROVAL", "APPROVED"),
        ("APPROVED", "GENERATING_TA"),
        ("GENERATING_TA", "VALIDATING"),
        ("VALIDATING", "COMPLETED"),
    ]


@pytest.mark.parametrize("target", [S.APPROVED, S.REJECTED], ids=str)
async def test_approver_cannot_review_own_request(rpc, cast, clean, target: S) -> None:
    own = await make_request(clean, cast.approver.user_id, S.PENDING_APPROVAL)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await RPCS[target][1](rpc, cast.approver.md, str(own.id))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "own request" in (err.value.details() or "")
    admin_own = await make_request(clean, cast.admin.user_id, S.PENDING_APPROVAL)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await RPCS[target][1](rpc, cast.admin.md, str(admin_own.id))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_rejection_needs_a_reason(rpc, cast, clean) -> None:
    request = await make_request(clean, cast.owner.user_id, S.PENDING_APPROVAL)
    for reason in ("", "   ", "x" * 5001):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await rpc.RejectRequest(
                pb.RejectRequestRequest(request_id=str(request.id), rejection_reason=reason),
                metadata=cast.approver.md,
            )
        assert bad_field(err.value) == "rejection_reason"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.FailRequest(
            pb.FailRequestRequest(request_id=str(request.id)), metadata=cast.service.md
        )
    assert bad_field(err.value) == "reason"


@pytest.mark.parametrize("target", list(RPCS), ids=str)
async def test_unknown_request_is_not_found(rpc, cast, target: S) -> None:
    who, call = RPCS[target]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call(rpc, getattr(cast, who).md, str(uuid.uuid4()))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
