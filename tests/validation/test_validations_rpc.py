"""QueueValidation, ListValidations and GetValidation over gRPC (the session's validation
service is paused: queued runs stay QUEUED): replies, paging, bad input naming the field,
unknown requests and runs, the audit event of queueing, the requests service down."""

from __future__ import annotations

import uuid

import grpc
import pytest
from tagen.validation.v1 import validation_pb2 as pb
from tagen.validation.v1 import validation_pb2_grpc as pb_grpc

from services.requests.enums import RequestStatus
from services.validation.enums import ValidationStatus
from services.validation.repositories import ValidationRunRepository
from tests.requests.conftest import make_request
from tests.validation.conftest import (
    NOWHERE,
    load_run,
    make_revision,
    make_run,
    outbox,
    start_validation_service,
    validation_runtime,
)

INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
async def approved(clean, cast):
    request = await make_request(clean, cast.owner.user_id, RequestStatus.APPROVED)
    return request, await make_revision(clean, request.id)


async def queue(rpc, caller, request_id, revision_id, *, metadata=()):
    reply = await rpc.QueueValidation(
        pb.QueueValidationRequest(request_id=str(request_id), ta_revision_id=str(revision_id)),
        metadata=(*caller.md, *metadata),
    )
    return reply.validation_run


async def refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value


async def test_queue_returns_a_queued_run_and_records_the_audit_event(
    rpc, cast, clean, approved
) -> None:
    request, revision = approved
    correlation = str(uuid.uuid4())
    run = await queue(
        rpc,
        cast.owner,
        request.id,
        revision.id,
        metadata=(("x-request-id", correlation), ("x-client-user-agent", "browser/1.0")),
    )
    assert run.status == pb.QUEUED and uuid.UUID(run.id)
    assert (run.request_id, run.ta_revision_id) == (str(request.id), str(revision.id))
    assert not run.HasField("started_at") and run.created_at.seconds > 0
    assert (run.splunk_container_id, run.error_message, run.duration_seconds) == ("", "", 0)
    stored = await load_run(clean, run.id)
    assert stored.status is ValidationStatus.QUEUED and stored.results_json is None
    [event] = await outbox(clean)
    assert (event.action, event.entity_type, str(event.entity_id)) == (
        "CREATE",
        "validation_run",
        run.id,
    )
    assert event.user_id == cast.owner.user_id
    assert str(event.correlation_id) == correlation and event.user_agent == "browser/1.0"
    assert event.details == {
        "request_id": str(request.id),
        "ta_revision_id": str(revision.id),
        "version": 1,
        "new_status": "QUEUED",
    }


async def test_a_service_queues_without_a_user(rpc, cast, clean, approved) -> None:
    request, revision = approved
    await queue(rpc, cast.service, request.id, revision.id)
    [event] = await outbox(clean)
    assert event.user_id is None and event.action == "CREATE"


async def test_get_returns_every_field(rpc, cast, clean, approved) -> None:
    request, revision = approved
    run = await make_run(
        clean,
        request.id,
        ValidationStatus.FAILED,
        ta_revision_id=revision.id,
        results_json={"passed": False, "errors": [{"message": "bad"}]},
        debug_bundle_key="debug/x.zip",
        debug_bundle_bucket="tagen",
        splunk_container_id="local-abc",
        validation_logs="line 1\nline 2",
        error_message="bad",
        duration_seconds=7,
    )
    reply = await rpc.GetValidation(
        pb.GetValidationRequest(run_id=str(run.id)), metadata=cast.approver.md
    )
    got = reply.validation_run
    assert got.status == pb.FAILED and got.error_message == "bad"
    assert got.results_json["passed"] is False
    assert got.results_json["errors"][0]["message"] == "bad"
    assert (got.debug_bundle_key, got.debug_bundle_bucket) == ("debug/x.zip", "tagen")
    assert (got.splunk_container_id, got.duration_seconds) == ("local-abc", 7)
    assert got.validation_logs == "line 1\nline 2"


async def test_queueing_a_revision_again_returns_its_active_run(rpc, cast, clean, approved) -> None:
    request, revision = approved
    first = await queue(rpc, cast.owner, request.id, revision.id)
    again = await queue(rpc, cast.approver, request.id, revision.id)
    assert again.id == first.id and again.status == pb.QUEUED
    assert [e.action for e in await outbox(clean)] == ["CREATE"]
    async with clean.unit_of_work() as session:
        await ValidationRunRepository(session).update(
            uuid.UUID(first.id), {"status": ValidationStatus.RUNNING}
        )
    assert (await queue(rpc, cast.service, request.id, revision.id)).id == first.id
    async with clean.unit_of_work() as session:
        await ValidationRunRepository(session).update(
            uuid.UUID(first.id), {"status": ValidationStatus.FAILED}
        )
    # The pipeline asking again (a resumed job) gets the finished run: one run per attempt.
    resumed = await queue(rpc, cast.service, request.id, revision.id)
    assert resumed.id == first.id and resumed.status == pb.FAILED
    # A person asks for a new check of a revision whose run finished: a new run.
    fresh = await queue(rpc, cast.owner, request.id, revision.id)
    assert fresh.id != first.id and fresh.status == pb.QUEUED
    assert (await queue(rpc, cast.service, request.id, revision.id)).id == fresh.id


async def test_list_pages_newest_first_and_filters_by_status(rpc, cast, clean, approved) -> None:
    request, revision = approved
    revisions = [revision, *[await make_revision(clean, request.id, v) for v in (2, 3)]]
    made = [await queue(rpc, cast.owner, request.id, r.id) for r in revisions]
    await make_run(clean, ta_revision_id=uuid.uuid4())  # another request's run
    first = await rpc.ListValidations(
        pb.ListValidationsRequest(request_id=str(request.id), page_size=2), metadata=cast.owner.md
    )
    assert [r.id for r in first.validation_runs] == [made[2].id, made[1].id]
    assert first.next_page_token
    second = await rpc.ListValidations(
        pb.ListValidationsRequest(
            request_id=str(request.id), page_size=2, page_token=first.next_page_token
        ),
        metadata=cast.owner.md,
    )
    assert [r.id for r in second.validation_runs] == [made[0].id]
    assert second.next_page_token == ""
    failed = await rpc.ListValidations(
        pb.ListValidationsRequest(request_id=str(request.id), status=pb.FAILED),
        metadata=cast.owner.md,
    )
    assert list(failed.validation_runs) == []


async def test_revision_must_belong_to_the_request(rpc, cast, clean, approved) -> None:
    request, _ = approved
    other = await make_request(clean, cast.owner.user_id, RequestStatus.APPROVED)
    foreign = await make_revision(clean, other.id)
    for revision_id in (foreign.id, uuid.uuid4()):
        err = await refused(queue(rpc, cast.owner, request.id, revision_id))
        assert err.code() == INVALID and err.details().startswith("ta_revision_id:")
        assert str(request.id) in err.details()
    assert await outbox(clean) == []


async def test_unknown_request_and_run(rpc, cast, clean, approved) -> None:
    _, revision = approved
    unknown = uuid.uuid4()
    for caller in (cast.owner, cast.other, cast.admin):
        err = await refused(queue(rpc, caller, unknown, revision.id))
        assert err.code() == grpc.StatusCode.NOT_FOUND and str(unknown) in err.details()
    err = await refused(
        rpc.ListValidations(
            pb.ListValidationsRequest(request_id=str(unknown)), metadata=cast.admin.md
        )
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND
    err = await refused(
        rpc.GetValidation(pb.GetValidationRequest(run_id=str(unknown)), metadata=cast.admin.md)
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND and "validation_run" in err.details()


@pytest.mark.parametrize(
    ("request_id", "revision_id", "field"),
    [
        ("", "REV", "request_id"),
        ("not-a-uuid", "REV", "request_id"),
        ("REQ", "", "ta_revision_id"),
        ("REQ", "12345", "ta_revision_id"),
    ],
)
async def test_queue_bad_ids(rpc, cast, approved, request_id, revision_id, field) -> None:
    request, revision = approved
    message = pb.QueueValidationRequest(
        request_id=str(request.id) if request_id == "REQ" else request_id,
        ta_revision_id=str(revision.id) if revision_id == "REV" else revision_id,
    )
    err = await refused(rpc.QueueValidation(message, metadata=cast.owner.md))
    assert err.code() == INVALID and err.details().startswith(f"{field}:")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"request_id": "x"}, "request_id"),
        ({"page_size": -1}, "page_size"),
        ({"page_size": 100000}, "page_size"),
        ({"page_token": "garbage!"}, "page_token"),
        ({"status": 99}, "status"),
    ],
)
async def test_list_bad_input(rpc, cast, approved, changes, field) -> None:
    request, _ = approved
    message = pb.ListValidationsRequest(**{"request_id": str(request.id), **changes})
    err = await refused(rpc.ListValidations(message, metadata=cast.owner.md))
    assert err.code() == INVALID and err.details().startswith(f"{field}:")


@pytest.mark.parametrize("run_id", ["", "nope", "1234"])
async def test_get_bad_run_id(rpc, cast, run_id) -> None:
    err = await refused(
        rpc.GetValidation(pb.GetValidationRequest(run_id=run_id), metadata=cast.owner.md)
    )
    assert err.code() == INVALID and err.details().startswith("run_id:")


async def test_requests_service_down_is_unavailable(
    validation_settings, keys, cast, clean, approved
) -> None:
    request, revision = approved
    service = await start_validation_service(validation_runtime(validation_settings, keys, NOWHERE))
    try:
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = pb_grpc.ValidationServiceStub(channel)
            err = await refused(queue(stub, cast.owner, request.id, revision.id))
    finally:
        await service.stop(0)
    assert err.code() == grpc.StatusCode.UNAVAILABLE and "requests service" in err.details()
    assert await outbox(clean) == []
