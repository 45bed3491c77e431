"""The generation pipeline on real services: a RequestService and a ValidationService (runner
on, appinspect off) on ephemeral ports over the test database. The tests drive generation
workers themselves (subclassed to die between two steps), so each step's durability shows:
approve -> GENERATING_TA -> an AUTO revision -> VALIDATING -> a validation run -> COMPLETED or
FAILED with its reason, exactly one revision per attempt whatever dies where."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from prometheus_client import REGISTRY
from sqlalchemy import select
from tagen.knowledge.v1 import knowledge_pb2 as knowledge_pb
from tagen.knowledge.v1 import knowledge_pb2_grpc as knowledge_grpc
from tagen.requests.v1 import requests_pb2 as pb
from tagen.requests.v1 import requests_pb2_grpc as pb_grpc
from tagen.validation.v1 import validation_pb2 as vpb
from tagen.validation.v1 import validation_pb2_grpc as vpb_grpc

from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.server import GrpcService
from services.kernel.settings import Settings
from services.kernel.tokens import KeyMaterial
from services.requests import app
from services.requests.generation.clients import KnowledgeClient, ValidationClient
from services.requests.generation.worker import GenerationWorker
from services.requests.models import AuditOutbox, GenerationJob
from services.validation import app as validation_app
from services.validation.models import AuditOutbox as ValidationOutbox
from tests.knowledge.conftest import start_service as start_knowledge_service
from tests.knowledge.conftest import upload
from tests.requests.conftest import Cast, empty_requests_schema, start_service
from tests.requests.streams import make_tgz, manual_stream, sample_stream
from tests.validation.conftest import empty_validation_schema, wait_for
from tests.validation.helpers import SAMPLE, apache_ta, edited

pytestmark = pytest.mark.xdist_group("pipeline")

NOWHERE = "127.0.0.1:9"
NO_TIMESTAMPS = b"user logged in ok\nuser logged out ok\n" * 50
FINAL = (pb.COMPLETED, pb.FAILED)


class Killed(BaseException):
    """The worker process dies here: nothing after it runs, its lease is left to expire."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pipeline_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("pipeline-data"),
            "storage_backend": "local",
            "storage_bucket": "tagen-pipeline",
            "identity_address": NOWHERE,
            "audit_address": NOWHERE,
            "knowledge_address": NOWHERE,
            "generation_worker_enabled": False,
            "generation_lease_seconds": 1.0,
            "generation_poll_seconds": 0.05,
            "generation_retry_seconds": 0.05,
            "max_parallel_validations": 2,
            "validation_poll_seconds": 0.05,
            "validation_run_appinspect": False,
        }
    )


async def start_validation(
    settings: Settings, keys: KeyMaterial, requests: GrpcService, port: int = 0
) -> GrpcService:
    runtime = Runtime.from_keys(
        settings.model_copy(update={"requests_address": requests.address}), keys
    )
    service = GrpcService(
        validation_app.build(runtime, Database.from_settings(runtime.settings)),
        runtime.verifier,
        "127.0.0.1",
        port,
    )
    await service.start()
    return service


@dataclass
class Pipeline:
    runtime: Runtime
    requests: GrpcService
    validation: GrpcService
    db: Database
    stub: pb_grpc.RequestServiceStub
    runs: vpb_grpc.ValidationServiceStub

    def worker(self, kind: type[GenerationWorker] = GenerationWorker) -> GenerationWorker:
        """A generation worker of its own (a fresh process, as far as the jobs can tell)."""
        identity = self.runtime.service_identity("requests")
        return kind(
            app.build_deps(self.runtime, self.db),
            ValidationClient(self.validation.address, identity),
            KnowledgeClient(NOWHERE, identity),
            identity.subject,
        )


@contextlib.asynccontextmanager
async def running_services(
    settings: Settings, keys: KeyMaterial
) -> AsyncIterator[tuple[Runtime, GrpcService, GrpcService]]:
    """A RequestService and a ValidationService that know each other's address."""
    validation_port = free_port()
    runtime = Runtime.from_keys(
        settings.model_copy(update={"validation_address": f"127.0.0.1:{validation_port}"}), keys
    )
    requests = await start_service(runtime)
    validation = await start_validation(settings, keys, requests, validation_port)
    try:
        yield runtime, requests, validation
    finally:
        await validation.stop(0)
        await requests.stop(0)


@pytest.fixture(scope="module")
async def services(
    pipeline_settings: Settings, keys: KeyMaterial
) -> AsyncIterator[tuple[Runtime, GrpcService, GrpcService]]:
    async with running_services(pipeline_settings, keys) as started:
        yield started


@contextlib.asynccontextmanager
async def connected(
    runtime: Runtime, requests: GrpcService, validation: GrpcService, db: Database
) -> AsyncIterator[Pipeline]:
    """A Pipeline on running services, over empty requests and validation schemas."""
    await empty_validation_schema(db)
    await empty_requests_schema(db)
    async with (
        grpc.aio.insecure_channel(requests.address) as channel,
        grpc.aio.insecure_channel(validation.address) as vchannel,
    ):
        yield Pipeline(
            runtime,
            requests,
            validation,
            db,
            pb_grpc.RequestServiceStub(channel),
            vpb_grpc.ValidationServiceStub(vchannel),
        )


@pytest.fixture
async def pipeline(services, database: Database) -> AsyncIterator[Pipeline]:
    async with connected(*services, database) as p:
        yield p


async def approved(
    p: Pipeline,
    cast: Cast,
    sample: bytes,
    *,
    source_system: str = "Apache",
    correlation: str | None = None,
) -> str:
    """A request with one sample, submitted by its owner and approved (its job is due)."""
    made = await p.stub.CreateRequest(
        pb.CreateRequestRequest(source_system=source_system, description="web tier"),
        metadata=cast.owner.md,
    )
    rid = made.request.id
    await p.stub.UploadLogSample(sample_stream(rid, sample), metadata=cast.owner.md)
    await p.stub.SubmitRequest(pb.SubmitRequestRequest(request_id=rid), metadata=cast.owner.md)
    extra = (("x-request-id", correlation),) if correlation else ()
    reply = await p.stub.ApproveRequest(
        pb.ApproveRequestRequest(request_id=rid), metadata=(*cast.approver.md, *extra)
    )
    assert reply.request.status == pb.APPROVED and reply.request.attempt == 1
    return rid


async def details(p: Pipeline, cast: Cast, rid: str) -> pb.GetRequestResponse:
    reply: pb.GetRequestResponse = await p.stub.GetRequest(
        pb.GetRequestRequest(request_id=rid), metadata=cast.owner.md
    )
    return reply


async def settled(p: Pipeline, cast: Cast, rid: str, within: float = 30.0) -> pb.GetRequestResponse:
    """The request once it is COMPLETED or FAILED."""

    async def check() -> pb.GetRequestResponse | None:
        found = await details(p, cast, rid)
        return found if found.request.status in FINAL else None

    result: pb.GetRequestResponse = await wait_for(check, within=within)
    return result


async def runs_of(p: Pipeline, cast: Cast, rid: str) -> list[vpb.ValidationRun]:
    reply = await p.runs.ListValidations(
        vpb.ListValidationsRequest(request_id=rid), metadata=cast.owner.md
    )
    return list(reply.validation_runs)


async def jobs_of(db: Database, rid: str) -> list[GenerationJob]:
    async with db.read_only() as session:
        stmt = select(GenerationJob).where(GenerationJob.request_id == uuid.UUID(rid))
        return list((await session.scalars(stmt.order_by(GenerationJob.attempt))).all())


def stage_count(stage: str) -> float:
    """How many `stage` durations the pipeline histogram observed with outcome ok."""
    value = REGISTRY.get_sample_value(
        "tagen_pipeline_stage_duration_seconds_count", {"stage": stage, "outcome": "ok"}
    )
    return value or 0.0


async def test_approval_ends_completed_with_one_described_auto_revision(pipeline, cast) -> None:
    p = pipeline
    correlation = str(uuid.uuid4())
    stages = {stage: stage_count(stage) for stage in ("generate", "queue_validation", "validate")}
    rid = await approved(p, cast, SAMPLE.read_bytes(), correlation=correlation)
    assert await p.worker().run_once()
    final = await settled(p, cast, rid)
    assert final.request.status == pb.COMPLETED and final.request.completed_at.seconds
    # Each stage's duration reached the pipeline histogram.
    assert all(stage_count(stage) > seen for stage, seen in stages.items()), stages
    assert not final.request.HasField("failure")
    [revision] = final.ta_revisions
    assert revision.generated_by == pb.AUTO and revision.version == 1 and revision.attempt == 1
    meta = dict(revision.generation_metadata)
    assert meta["generator"]["name"] == "tagen-ta-builder" and meta["attempt"] == 1
    [sample] = final.log_samples
    assert [dict(s) for s in meta["samples"]] == [
        {
            "id": sample.id,
            "filename": "access.log",
            "checksum": sample.checksum,
            "file_size": float(sample.file_size),
        }
    ]
    assert list(meta["detected_formats"]) == ["apache_access"]
    assert list(meta["source_types"]) == list(meta["sourcetypes"])
    assert list(meta["cim_models"]) == ["Web"]
    assert meta["timestamp_settings"][meta["source_types"][0]]["time_format"]
    assert meta["knowledge"]["query"] == "Apache" and list(meta["knowledge"]["documents"]) == []
    assert any("knowledge search failed" in w for w in meta["warnings"])
    assert meta["duration_seconds"] >= 0
    [run] = await runs_of(p, cast, rid)
    assert run.status == vpb.PASSED and run.ta_revision_id == revision.id and run.attempts == 1
    [job] = await jobs_of(p.db, rid)
    assert job.finished_at is not None and str(job.validation_run_id) == run.id
    # Every status change of the pipeline is audited under the approval's correlation id,
    # with the service as actor.
    async with p.db.read_only() as session:
        events = list(
            (
                await session.scalars(
                    select(AuditOutbox)
                    .where(AuditOutbox.entity_id == uuid.UUID(rid))
                    .order_by(AuditOutbox.seq)
                )
            ).all()
        )
        runs = list(
            (
                await session.scalars(
                    select(ValidationOutbox)
                    .where(ValidationOutbox.entity_id == uuid.UUID(run.id))
                    .order_by(ValidationOutbox.seq)
                )
            ).all()
        )
    events = [e for e in events if "previous_status" in (e.details or {})]
    moves = [(e.details["previous_status"], e.details["new_status"]) for e in events]
    assert moves[-4:] == [
        ("PENDING_APPROVAL", "APPROVED"),
        ("APPROVED", "GENERATING_TA"),
        ("GENERATING_TA", "VALIDATING"),
        ("VALIDATING", "COMPLETED"),
    ]
    assert {str(e.correlation_id) for e in events[-4:]} == {correlation}
    assert [e.details.get("actor") for e in events[-3:]] == ["service:requests"] * 2 + [
        "service:validation"
    ]
    assert [e.details.get("new_status") for e in runs] == ["QUEUED", "RUNNING", "PASSED"]
    assert {str(e.correlation_id) for e in runs} == {correlation}


async def test_a_sample_without_timestamps_fails_with_its_reason(pipeline, cast) -> None:
    p = pipeline
    rid = await approved(p, cast, NO_TIMESTAMPS, source_system="Acme App")
    assert await p.worker().run_once()
    final = await details(p, cast, rid)
    assert final.request.status == pb.FAILED
    failure = final.request.failure
    assert failure.stage == pb.GENERATION and failure.failed_at.seconds
    assert "no recognisable timestamp" in failure.message and failure.validation_run_id == ""
    assert list(final.ta_revisions) == [] and await runs_of(p, cast, rid) == []
    # A new attempt may be started; it fails the same way, as attempt 2.
    again = await p.stub.RegenerateRequest(
        pb.RegenerateRequestRequest(request_id=rid), metadata=cast.approver.md
    )
    assert again.request.status == pb.GENERATING_TA and again.request.attempt == 2
    assert not again.request.HasField("failure")
    assert await p.worker().run_once()
    final = await details(p, cast, rid)
    assert final.request.status == pb.FAILED and final.request.attempt == 2
    assert [j.attempt for j in await jobs_of(p.db, rid)] == [1, 2]


async def test_a_failed_validation_then_regenerate_then_a_manual_revision(pipeline, cast) -> None:
    """COMPLETED -> a MANUAL revision that fails validation (FAILED with the run) ->
    regenerate -> COMPLETED again: one revision per attempt."""
    p = pipeline
    rid = await approved(p, cast, SAMPLE.read_bytes())
    assert await p.worker().run_once()
    assert (await settled(p, cast, rid)).request.status == pb.COMPLETED
    broken = edited(apache_ta(), "default/props.conf", b"EXTRACT-broken = (?P<thing>[a-\n")
    manual = await p.stub.UploadTARevision(manual_stream(rid, broken), metadata=cast.approver.md)
    assert manual.revision.attempt == 2
    assert (await details(p, cast, rid)).request.status == pb.VALIDATING
    assert await p.worker().run_once()  # the attempt's job queues the manual revision's run
    failed = await settled(p, cast, rid)
    assert failed.request.status == pb.FAILED and failed.request.attempt == 2
    failure = failed.request.failure
    [run, _] = await runs_of(p, cast, rid)
    assert failure.stage == pb.VALIDATION and failure.validation_run_id == run.id
    assert run.ta_revision_id == manual.revision.id and run.status == vpb.FAILED
    assert failure.message == run.error_message
    # Only APPROVERs and ADMINs regenerate, and only a FAILED or COMPLETED request.
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await p.stub.RegenerateRequest(
            pb.RegenerateRequestRequest(request_id=rid), metadata=cast.owner.md
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    await p.stub.RegenerateRequest(
        pb.RegenerateRequestRequest(request_id=rid), metadata=cast.admin.md
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await p.stub.RegenerateRequest(
            pb.RegenerateRequestRequest(request_id=rid), metadata=cast.admin.md
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert await p.worker().run_once()
    final = await settled(p, cast, rid)
    assert final.request.status == pb.COMPLETED and final.request.attempt == 3
    assert [(r.version, r.attempt, r.generated_by) for r in final.ta_revisions] == [
        (1, 1, pb.AUTO),
        (2, 2, pb.MANUAL),
        (3, 3, pb.AUTO),
    ]


def dying_after(step: str) -> type[GenerationWorker]:
    """A worker that dies right after `step` committed."""

    async def die(self: Any, *args: Any, **kwargs: Any) -> None:
        await getattr(GenerationWorker, step)(self, *args, **kwargs)
        raise Killed(step)

    return type(f"DiesAfter_{step}", (GenerationWorker,), {step: die})


def dying_before(step: str) -> type[GenerationWorker]:
    """A worker that dies right before `step`."""

    async def die(self: Any, *args: Any, **kwargs: Any) -> None:
        raise Killed(step)

    return type(f"DiesBefore_{step}", (GenerationWorker,), {step: die})


#: Every gap between two steps of a job: the request moved to GENERATING_TA; the revision
#: stored and the request VALIDATING; the validation run queued but the job not marked done.
CRASHES = {
    "after-start-generation": dying_after("start_generation"),
    "after-revision-stored": dying_after("generate_revision"),
    "after-run-queued": dying_before("finish"),
}


@pytest.mark.parametrize("crash", list(CRASHES))
async def test_a_worker_killed_between_steps_is_resumed(pipeline, cast, crash: str) -> None:
    p = pipeline
    rid = await approved(p, cast, SAMPLE.read_bytes())
    with pytest.raises(Killed):
        await p.worker(CRASHES[crash]).run_once()
    survivor = p.worker()
    if crash != "after-run-queued":
        assert not await survivor.run_once()  # the dead worker's lease has not expired yet

    async def resumed() -> bool:
        await survivor.run_once()
        return (await details(p, cast, rid)).request.status in FINAL

    await wait_for(resumed, within=20)
    final = await details(p, cast, rid)
    assert final.request.status == pb.COMPLETED
    assert [(r.version, r.attempt) for r in final.ta_revisions] == [(1, 1)]
    [run] = await runs_of(p, cast, rid)
    assert run.status == vpb.PASSED and run.ta_revision_id == final.ta_revisions[0].id
    [job] = await jobs_of(p.db, rid)
    assert job.finished_at is not None and str(job.validation_run_id) == run.id


async def test_a_broken_step_is_retried_then_fails_the_request(pipeline, cast) -> None:
    """The validation service unreachable: the job is retried with backoff, and after
    GENERATION_MAX_TRIES the request FAILS with the error."""
    p = pipeline
    rid = await approved(p, cast, SAMPLE.read_bytes())
    worker = p.worker()
    worker.validation = ValidationClient(NOWHERE, worker.validation.identity)
    max_tries = p.runtime.settings.generation_max_tries

    async def attempt_failed() -> bool:
        await worker.run_once()
        return (await details(p, cast, rid)).request.status == pb.FAILED

    await wait_for(attempt_failed, within=30)
    final = await details(p, cast, rid)
    assert final.request.failure.stage == pb.VALIDATION
    assert f"gave up after {max_tries} tries" in final.request.failure.message
    assert "validation service" in final.request.failure.message
    [job] = await jobs_of(p.db, rid)
    assert job.tries == max_tries and job.finished_at is not None


async def test_verdicts_apply_once_and_only_for_the_current_attempt(pipeline, cast) -> None:
    """A verdict redelivered (the relay died between the call and its acknowledgement) or one
    of an older attempt changes nothing."""
    p = pipeline
    rid = await approved(p, cast, SAMPLE.read_bytes())
    assert await p.worker().run_once()
    final = await settled(p, cast, rid)
    [revision] = final.ta_revisions
    [run] = await runs_of(p, cast, rid)
    verdict = pb.RecordValidationVerdictRequest(
        request_id=rid, validation_run_id=run.id, ta_revision_id=revision.id, passed=False
    )
    again = await p.stub.RecordValidationVerdict(verdict, metadata=cast.service.md)
    assert not again.applied and again.request.status == pb.COMPLETED
    await p.stub.RegenerateRequest(
        pb.RegenerateRequestRequest(request_id=rid), metadata=cast.approver.md
    )
    with pytest.raises(Killed):
        await p.worker(dying_after("generate_revision")).run_once()
    midway = await details(p, cast, rid)
    assert midway.request.status == pb.VALIDATING and midway.request.attempt == 2
    old = await p.stub.RecordValidationVerdict(verdict, metadata=cast.service.md)
    assert not old.applied and old.request.status == pb.VALIDATING
    survivor = p.worker()
    await wait_for(survivor.run_once, within=15)
    final = await settled(p, cast, rid)
    assert final.request.status == pb.COMPLETED
    assert [(r.version, r.attempt) for r in final.ta_revisions] == [(1, 1), (2, 2)]


async def test_two_replicas_of_each_service_complete_every_request_once(
    pipeline, pipeline_settings, keys, cast
) -> None:
    """Two requests services with generation workers and two validation services (runners,
    verdict relays) on one database: every approved request ends COMPLETED with one
    revision, one run and one claim of its job."""
    p = pipeline
    ports = [free_port(), free_port()]
    replicas: list[GrpcService] = []
    try:
        for port in ports:
            runtime = Runtime.from_keys(
                pipeline_settings.model_copy(
                    update={
                        "validation_address": f"127.0.0.1:{port}",
                        "generation_worker_enabled": True,
                    }
                ),
                keys,
            )
            requests = await start_service(runtime)
            replicas.append(requests)
            replicas.append(await start_validation(pipeline_settings, keys, requests, port))
        rids = [await approved(p, cast, SAMPLE.read_bytes()) for _ in range(4)]
        for rid in rids:
            final = await settled(p, cast, rid, within=60)
            assert final.request.status == pb.COMPLETED
            assert [(r.version, r.attempt) for r in final.ta_revisions] == [(1, 1)]
            [run] = await runs_of(p, cast, rid)
            assert run.status == vpb.PASSED and run.attempts == 1
            [job] = await jobs_of(p.db, rid)
            assert job.tries == 1 and job.finished_at is not None
    finally:
        for service in reversed(replicas):
            await service.stop(0)


REFERENCE_TA = make_tgz(
    {
        "Splunk_TA_apache/README.md": b"Splunk Add-on for Apache web server access logs.\n",
        "Splunk_TA_apache/default/props.conf": (
            b"[access_combined]\n"
            b"EXTRACT-client = ^(?<clientip>\\S+)\\s\n"
            b"FIELDALIAS-src = clientip AS src\n"
            b"[source::/var/log/apache]\nsourcetype = access_combined\n"
        ),
    }
)


async def test_knowledge_of_the_product_is_consulted_and_its_names_preferred(
    pipeline, pipeline_settings, keys, cast
) -> None:
    """A TA archive of the same product in the knowledge base: generation records the
    documents it consulted and names the source type as the reference TA does."""
    p = pipeline
    runtime = Runtime.from_keys(
        pipeline_settings.model_copy(update={"knowledge_indexer_enabled": True}), keys
    )
    knowledge = await start_knowledge_service(runtime)
    try:
        async with grpc.aio.insecure_channel(knowledge.address) as channel:
            stub = knowledge_grpc.KnowledgeServiceStub(channel)
            document = await upload(
                stub,
                cast.km,
                REFERENCE_TA,
                title="Splunk Add-on for Apache",
                document_type="ta_archive",
                filename="Splunk_TA_apache.tgz",
                content_type="application/gzip",
            )

            async def indexed() -> bool:
                found = await stub.GetDocument(
                    knowledge_pb.GetDocumentRequest(document_id=document.id), metadata=cast.km.md
                )
                return found.document.pinecone_indexed

            await wait_for(indexed, within=20)
            rid = await approved(p, cast, SAMPLE.read_bytes())
            identity = p.runtime.service_identity("requests")
            worker = p.worker()
            worker.knowledge = KnowledgeClient(knowledge.address, identity)
            assert await worker.run_once()
    finally:
        await knowledge.stop(0)
    final = await settled(p, cast, rid)
    [revision] = final.ta_revisions
    meta = json_format.MessageToDict(revision.generation_metadata)
    consulted = {d["id"]: d for d in meta["knowledge"]["documents"]}
    assert consulted[document.id]["document_type"] == "ta_archive"
    assert consulted[document.id]["title"] == "Splunk Add-on for Apache"
    assert "access_combined" in meta["knowledge"]["preferred_sourcetypes"]
    assert {"clientip", "src"} <= set(meta["knowledge"]["reference_fields"])
    assert meta["source_types"] == ["access_combined"]
    assert final.request.status == pb.COMPLETED
