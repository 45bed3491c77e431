"""The runner end to end on real services: a RequestService and a ValidationService (runner
on, MAX_PARALLEL_VALIDATIONS = 2, appinspect off) on ephemeral ports, local storage in a
temporary directory, real TAs built by the TA engine and uploaded as MANUAL revisions."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator

import grpc
import pytest
from google.protobuf import json_format
from tagen.validation.v1 import validation_pb2 as pb
from tagen.validation.v1 import validation_pb2_grpc as pb_grpc

from services.kernel.server import GrpcService
from services.kernel.settings import Settings
from services.kernel.tokens import KeyMaterial
from services.validation.execution import failure_message
from services.validation.repositories import ValidationRunRepository
from tests.validation.conftest import start_validation_service, validation_runtime
from tests.validation.helpers import (
    SAMPLE,
    apache_ta,
    copy_revision,
    edited,
    finished,
    request_with_revision,
)

pytestmark = pytest.mark.xdist_group("validation-runner")


@pytest.fixture(scope="module")
async def running_service(
    validation_settings: Settings, keys: KeyMaterial, requests_service: GrpcService
) -> AsyncIterator[GrpcService]:
    runtime = validation_runtime(
        validation_settings, keys, requests_service, max_parallel_validations=2
    )
    service = await start_validation_service(runtime)
    yield service
    await service.stop(0)


@pytest.fixture
async def runner_rpc(running_service, clean) -> AsyncIterator[pb_grpc.ValidationServiceStub]:
    async with grpc.aio.insecure_channel(running_service.address) as channel:
        yield pb_grpc.ValidationServiceStub(channel)


async def queue(rpc, cast, prepared) -> pb.ValidationRun:
    reply = await rpc.QueueValidation(
        pb.QueueValidationRequest(
            request_id=str(prepared.request_id), ta_revision_id=prepared.revision_id
        ),
        metadata=cast.owner.md,
    )
    return reply.validation_run


async def test_a_real_ta_passes(runner_rpc, requests_rpc, cast, clean, validation_settings) -> None:
    prepared = await request_with_revision(
        clean, requests_rpc, cast, apache_ta(), {"access.log": SAMPLE.read_bytes()}
    )
    queued = await queue(runner_rpc, cast, prepared)
    run = await finished(runner_rpc, cast, queued.id)
    assert run.status == pb.PASSED, run.error_message
    assert run.error_message == ""
    results = run.results_json
    assert results["passed"] is True and results["errors"] == []
    assert results["fields_extracted"] > 5
    assert results["samples"]["access.log"]["events"] > 0
    assert run.splunk_container_id == f"local-{queued.id[:8]}"
    assert run.started_at.seconds and run.completed_at.ToDatetime() >= run.started_at.ToDatetime()
    assert run.duration_seconds >= 0
    assert run.debug_bundle_key == f"debug/{prepared.request_id}/{queued.id}.zip"
    assert run.debug_bundle_bucket == validation_settings.storage_bucket
    stored = (
        validation_settings.data_dir / "objects" / run.debug_bundle_bucket / run.debug_bundle_key
    )
    with zipfile.ZipFile(io.BytesIO(stored.read_bytes())) as bundle:
        assert bundle.namelist()
    logs = run.validation_logs
    assert "fetched TA bundle v1" in logs and "fetched log sample access.log" in logs
    assert "PASSED" in logs.splitlines()[-1]


async def test_a_broken_ta_fails_with_the_checkers_message(
    runner_rpc, requests_rpc, cast, clean
) -> None:
    broken = edited(apache_ta(), "default/props.conf", b"EXTRACT-broken = (?P<thing>[a-\n")
    prepared = await request_with_revision(
        clean, requests_rpc, cast, broken, {"access.log": SAMPLE.read_bytes()}
    )
    run = await finished(runner_rpc, cast, (await queue(runner_rpc, cast, prepared)).id)
    assert run.status == pb.FAILED
    results = run.results_json
    assert results["passed"] is False and results["errors"]
    messages = [e["message"] for e in results["errors"]]
    assert any("EXTRACT-broken" in m for m in messages), messages
    assert run.error_message == failure_message(_plain(results))
    assert "EXTRACT-broken" in run.error_message
    assert run.debug_bundle_key  # a failed check still leaves its debug bundle


async def test_a_request_without_samples_fails(runner_rpc, requests_rpc, cast, clean) -> None:
    prepared = await request_with_revision(clean, requests_rpc, cast, apache_ta(), {})
    run = await finished(runner_rpc, cast, (await queue(runner_rpc, cast, prepared)).id)
    assert run.status == pb.FAILED
    assert "no log samples" in run.error_message
    assert "the request has no log samples" in run.validation_logs


async def test_several_runs_all_finish_under_the_limit(
    runner_rpc, requests_rpc, cast, clean
) -> None:
    prepared = await request_with_revision(
        clean, requests_rpc, cast, apache_ta(), {"access.log": SAMPLE.read_bytes()}
    )
    seen: list[int] = []
    done = asyncio.Event()

    async def watch() -> None:
        while not done.is_set():
            async with clean.read_only() as session:
                seen.append(await ValidationRunRepository(session).get_running_count())
            await asyncio.sleep(0.005)

    copies = [await copy_revision(clean, prepared, version) for version in range(2, 7)]
    watcher = asyncio.create_task(watch())
    queued = [await queue(runner_rpc, cast, p) for p in (prepared, *copies)]
    runs = [await finished(runner_rpc, cast, q.id) for q in queued]
    done.set()
    await watcher
    assert max(seen) <= 2
    assert [r.status for r in runs] == [pb.PASSED] * 6
    listed = await runner_rpc.ListValidations(
        pb.ListValidationsRequest(request_id=str(prepared.request_id), status=pb.PASSED),
        metadata=cast.approver.md,
    )
    assert len(listed.validation_runs) == 6


def _plain(struct) -> dict:
    return json_format.MessageToDict(struct)
