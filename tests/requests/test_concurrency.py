"""Races through real concurrent gRPC calls: two reviewers at once (exactly one wins), and
many revisions at once for one request (distinct versions, nobody sees an error)."""

from __future__ import annotations

import asyncio
from collections import Counter

import grpc
import pytest
from tagen.requests.v1 import requests_pb2 as pb
from tagen.requests.v1 import requests_pb2_grpc as pb_grpc

from services.kernel.enums import UserRoleEnum
from services.requests.enums import RequestStatus as S
from tests.requests.conftest import audit_events, make_request, status_of
from tests.requests.streams import auto_stream, manual_stream, ta_bundle

ROUNDS = 8


async def outcome(call) -> str:
    try:
        reply = await call
    except grpc.aio.AioRpcError as err:
        assert err.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED)
        return "lost"
    return pb.RequestStatus.Name(reply.request.status)


@pytest.fixture
async def stubs(requests_service, clean):
    """Two channels, as two reviewers on two machines would have."""
    async with (
        grpc.aio.insecure_channel(requests_service.address) as one,
        grpc.aio.insecure_channel(requests_service.address) as two,
    ):
        yield pb_grpc.RequestServiceStub(one), pb_grpc.RequestServiceStub(two)


async def test_two_approvers_exactly_one_wins(stubs, cast, clean) -> None:
    a, b = stubs
    for _ in range(ROUNDS):
        request = await make_request(clean, cast.owner.user_id, S.PENDING_APPROVAL)
        rid = str(request.id)
        results = await asyncio.gather(
            outcome(
                a.ApproveRequest(
                    pb.ApproveRequestRequest(request_id=rid), metadata=cast.approver.md
                )
            ),
            outcome(
                b.ApproveRequest(
                    pb.ApproveRequestRequest(request_id=rid), metadata=cast.approver2.md
                )
            ),
        )
        assert sorted(results) == ["APPROVED", "lost"]
        events = await audit_events(clean, rid)
        assert [e.action for e in events] == ["APPROVE"]
        winner = cast.approver if results[0] == "APPROVED" else cast.approver2
        assert events[0].user_id == winner.user_id


async def test_approve_and_reject_at_once_exactly_one_wins(stubs, cast, clean) -> None:
    a, b = stubs
    seen: Counter[str] = Counter()
    for _ in range(ROUNDS):
        request = await make_request(clean, cast.owner.user_id, S.PENDING_APPROVAL)
        rid = str(request.id)
        approve, reject = await asyncio.gather(
            outcome(
                a.ApproveRequest(
                    pb.ApproveRequestRequest(request_id=rid), metadata=cast.approver.md
                )
            ),
            outcome(
                b.RejectRequest(
                    pb.RejectRequestRequest(request_id=rid, rejection_reason="no"),
                    metadata=cast.admin.md,
                )
            ),
        )
        assert sorted([approve, reject]) in (["APPROVED", "lost"], ["REJECTED", "lost"])
        final = await status_of(clean, request.id)
        assert final.value == (approve if approve != "lost" else reject)
        assert len(await audit_events(clean, rid)) == 1
        seen[final.value] += 1
    assert sum(seen.values()) == ROUNDS


async def test_many_reviewers_at_once(stubs, cast, clean) -> None:
    request = await make_request(clean, cast.owner.user_id, S.PENDING_APPROVAL)
    rid = str(request.id)
    reviewers = [cast.user(UserRoleEnum.APPROVER) for _ in range(10)]
    results = await asyncio.gather(
        *(
            outcome(
                stubs[i % 2].ApproveRequest(pb.ApproveRequestRequest(request_id=rid), metadata=r.md)
            )
            for i, r in enumerate(reviewers)
        )
    )
    assert Counter(results) == {"APPROVED": 1, "lost": 9}


async def test_concurrent_revisions_get_distinct_versions(stubs, cast, clean) -> None:
    request = await make_request(clean, cast.owner.user_id, S.GENERATING_TA)
    rid = str(request.id)
    bundle = ta_bundle()
    calls = [
        stubs[i % 2].CreateAutoRevision(auto_stream(rid, bundle), metadata=cast.service.md)
        for i in range(10)
    ]
    replies = await asyncio.gather(*calls)  # any error would raise here
    versions = sorted(r.revision.version for r in replies)
    assert versions == list(range(1, 11))
    listed = await stubs[0].ListTARevisions(
        pb.ListTARevisionsRequest(request_id=rid), metadata=cast.owner.md
    )
    assert [r.version for r in listed.revisions] == list(range(10, 0, -1))
    assert len({r.storage_key for r in listed.revisions}) == 10


async def test_concurrent_manual_revisions_start_one_attempt(stubs, cast, clean) -> None:
    """Each MANUAL upload would start a new attempt of the FAILED request: one wins, the
    others find the request VALIDATING and are refused."""
    request = await make_request(clean, cast.owner.user_id, S.FAILED)
    rid = str(request.id)
    bundle = ta_bundle()
    calls = [
        stubs[i % 2].UploadTARevision(manual_stream(rid, bundle), metadata=cast.approver.md)
        for i in range(4)
    ]
    replies = await asyncio.gather(*calls, return_exceptions=True)
    won = [r for r in replies if not isinstance(r, BaseException)]
    refused = [r for r in replies if isinstance(r, grpc.aio.AioRpcError)]
    assert len(won) == 1 and won[0].revision.attempt == 1
    assert len(refused) == 3
    assert {r.code() for r in refused} == {grpc.StatusCode.FAILED_PRECONDITION}
    details = await stubs[0].GetRequest(
        pb.GetRequestRequest(request_id=rid), metadata=cast.owner.md
    )
    assert details.request.status == pb.VALIDATING and details.request.attempt == 1
    assert [r.version for r in details.ta_revisions] == [1]
