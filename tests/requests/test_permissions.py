"""The permission matrix: every RPC against every kind of caller. Allowed callers succeed;
a requestor asking about someone else's request gets NOT_FOUND (it must not learn that the
request exists), other refused callers PERMISSION_DENIED, a call without a token
UNAUTHENTICATED."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from tagen.requests.v1 import requests_pb2 as pb

from services.kernel.enums import UserRoleEnum
from services.requests.access import ACCESS
from services.requests.enums import RequestStatus as S
from tests.requests.conftest import Cast, make_request
from tests.requests.streams import auto_stream, manual_stream, sample_stream, ta_bundle

CALLERS = ["owner", "other", "approver", "admin", "km", "service", "nobody"]
READERS = {"owner", "approver", "admin", "service"}
#: RPCs on one request that requestors may call on their own requests.
OWN_REQUEST_RPCS = {
    "GetRequest",
    "UpdateRequest",
    "SubmitRequest",
    "UploadLogSample",
    "ListLogSamples",
    "DeleteLogSample",
    "DownloadLogSample",
    "ListTARevisions",
    "DownloadTARevision",
}
BUNDLE = ta_bundle()


@dataclass(frozen=True)
class Case:
    allowed: set[str]
    status: S
    call: Callable[[Any, Any, str, dict[str, str]], Awaitable[Any]]
    needs: str = ""  # "sample" or "revision": made by the owner / an approver first


CASES: dict[str, Case] = {
    "CreateRequest": Case(
        {"owner", "other", "admin"},
        S.NEW,
        lambda rpc, md, rid, x: rpc.CreateRequest(
            pb.CreateRequestRequest(source_system="Apache"), metadata=md
        ),
    ),
    "ListRequests": Case(
        {"owner", "other", "approver", "admin", "service"},
        S.NEW,
        lambda rpc, md, rid, x: rpc.ListRequests(pb.ListRequestsRequest(), metadata=md),
    ),
    "GetRequest": Case(
        READERS,
        S.NEW,
        lambda rpc, md, rid, x: rpc.GetRequest(pb.GetRequestRequest(request_id=rid), metadata=md),
    ),
    "UpdateRequest": Case(
        {"owner", "admin"},
        S.NEW,
        lambda rpc, md, rid, x: rpc.UpdateRequest(
            pb.UpdateRequestRequest(request_id=rid, description="new"), metadata=md
        ),
    ),
    "SubmitRequest": Case(
        {"owner"},
        S.NEW,
        lambda rpc, md, rid, x: rpc.SubmitRequest(
            pb.SubmitRequestRequest(request_id=rid), metadata=md
        ),
        needs="sample",
    ),
    "ApproveRequest": Case(
        {"approver", "admin"},
        S.PENDING_APPROVAL,
        lambda rpc, md, rid, x: rpc.ApproveRequest(
            pb.ApproveRequestRequest(request_id=rid), metadata=md
        ),
    ),
    "RejectRequest": Case(
        {"approver", "admin"},
        S.PENDING_APPROVAL,
        lambda rpc, md, rid, x: rpc.RejectRequest(
            pb.RejectRequestRequest(request_id=rid, rejection_reason="no"), metadata=md
        ),
    ),
    "GetRequestStatistics": Case(
        {"approver", "admin"},
        S.NEW,
        lambda rpc, md, rid, x: rpc.GetRequestStatistics(
            pb.GetRequestStatisticsRequest(), metadata=md
        ),
    ),
    "UploadLogSample": Case(
        {"owner"},
        S.NEW,
        lambda rpc, md, rid, x: rpc.UploadLogSample(sample_stream(rid, b"log\n"), metadata=md),
    ),
    "ListLogSamples": Case(
        READERS,
        S.NEW,
        lambda rpc, md, rid, x: rpc.ListLogSamples(
            pb.ListLogSamplesRequest(request_id=rid), metadata=md
        ),
    ),
    "DeleteLogSample": Case(
        {"owner"},
        S.NEW,
        lambda rpc, md, rid, x: rpc.DeleteLogSample(
            pb.DeleteLogSampleRequest(request_id=rid, sample_id=x["sample"]), metadata=md
        ),
        needs="sample",
    ),
    "DownloadLogSample": Case(
        READERS,
        S.NEW,
        lambda rpc, md, rid, x: _drain(
            rpc.DownloadLogSample(
                pb.DownloadLogSampleRequest(request_id=rid, sample_id=x["sample"]), metadata=md
            )
        ),
        needs="sample",
    ),
    "ListTARevisions": Case(
        READERS,
        S.COMPLETED,
        lambda rpc, md, rid, x: rpc.ListTARevisions(
            pb.ListTARevisionsRequest(request_id=rid), metadata=md
        ),
    ),
    "UploadTARevision": Case(
        {"approver", "admin"},
        S.FAILED,
        lambda rpc, md, rid, x: rpc.UploadTARevision(manual_stream(rid, BUNDLE), metadata=md),
    ),
    "DownloadTARevision": Case(
        READERS,
        S.COMPLETED,
        lambda rpc, md, rid, x: _drain(
            rpc.DownloadTARevision(
                pb.DownloadTARevisionRequest(request_id=rid, version=1), metadata=md
            )
        ),
        needs="revision",
    ),
    "StartGeneration": Case(
        {"service"},
        S.APPROVED,
        lambda rpc, md, rid, x: rpc.StartGeneration(
            pb.StartGenerationRequest(request_id=rid), metadata=md
        ),
    ),
    "StartValidation": Case(
        {"service"},
        S.GENERATING_TA,
        lambda rpc, md, rid, x: rpc.StartValidation(
            pb.StartValidationRequest(request_id=rid), metadata=md
        ),
    ),
    "CompleteRequest": Case(
        {"service"},
        S.VALIDATING,
        lambda rpc, md, rid, x: rpc.CompleteRequest(
            pb.CompleteRequestRequest(request_id=rid), metadata=md
        ),
    ),
    "FailRequest": Case(
        {"service"},
        S.VALIDATING,
        lambda rpc, md, rid, x: rpc.FailRequest(
            pb.FailRequestRequest(request_id=rid, reason="broken"), metadata=md
        ),
    ),
    "CreateAutoRevision": Case(
        {"service"},
        S.GENERATING_TA,
        lambda rpc, md, rid, x: rpc.CreateAutoRevision(auto_stream(rid, BUNDLE), metadata=md),
    ),
    "RegenerateRequest": Case(
        {"approver", "admin"},
        S.FAILED,
        lambda rpc, md, rid, x: rpc.RegenerateRequest(
            pb.RegenerateRequestRequest(request_id=rid), metadata=md
        ),
    ),
    "RecordValidationVerdict": Case(
        {"service"},
        S.VALIDATING,
        lambda rpc, md, rid, x: rpc.RecordValidationVerdict(
            pb.RecordValidationVerdictRequest(
                request_id=rid,
                validation_run_id=str(uuid.uuid4()),
                ta_revision_id=str(uuid.uuid4()),
                passed=True,
            ),
            metadata=md,
        ),
    ),
}


async def _drain(stream: Any) -> list[Any]:
    return [message async for message in stream]


def test_every_rpc_is_in_the_matrix_and_the_access_table() -> None:
    service = pb.DESCRIPTOR.services_by_name["RequestService"]
    names = {m.name for m in service.methods}
    assert names == set(CASES)
    assert {key.rsplit("/", 1)[1] for key in ACCESS} == names


async def prepare(rpc: Any, cast: Cast, db: Any, case: Case) -> tuple[str, dict[str, str]]:
    request = await make_request(db, cast.owner.user_id, case.status)
    rid = str(request.id)
    extra: dict[str, str] = {}
    if case.needs == "sample":
        reply = await rpc.UploadLogSample(sample_stream(rid, b"x\n"), metadata=cast.owner.md)
        extra["sample"] = reply.sample.id
    if case.needs == "revision":
        await rpc.UploadTARevision(manual_stream(rid, BUNDLE), metadata=cast.approver.md)
    return rid, extra


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name", list(CASES))
async def test_matrix(rpc, cast, clean, name: str, caller: str) -> None:
    case = CASES[name]
    rid, extra = await prepare(rpc, cast, clean, case)
    who = getattr(cast, caller)
    if caller in case.allowed:
        await case.call(rpc, who.md, rid, extra)
        return
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await case.call(rpc, who.md, rid, extra)
    expected = grpc.StatusCode.PERMISSION_DENIED
    if caller == "nobody":
        expected = grpc.StatusCode.UNAUTHENTICATED
    elif caller == "other" and name in OWN_REQUEST_RPCS:
        expected = grpc.StatusCode.NOT_FOUND
    assert err.value.code() == expected, err.value.details()


@pytest.mark.parametrize("token", ["garbage", "Bearer", "Bearer not.a.jwt"])
async def test_bad_tokens(rpc, token: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.ListRequests(pb.ListRequestsRequest(), metadata=(("authorization", token),))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_requestor_with_approver_role_still_cannot_approve_own(rpc, cast, clean) -> None:
    both = cast.user(UserRoleEnum.REQUESTOR, UserRoleEnum.APPROVER)
    request = await make_request(clean, both.user_id, S.PENDING_APPROVAL)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.ApproveRequest(
            pb.ApproveRequestRequest(request_id=str(request.id)), metadata=both.md
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
