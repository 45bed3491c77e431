"""TA revisions over gRPC: MANUAL uploads (checked .tgz), AUTO revisions from a service,
history, and the streamed download."""

from __future__ import annotations

import os
import uuid

import grpc
import pytest
from google.protobuf import struct_pb2
from tagen.requests.v1 import requests_pb2 as pb

from services.kernel.storage import LocalStorage
from services.requests.enums import RequestStatus as S
from services.requests.enums import TARevisionType
from services.requests.repositories import GenerationJobRepository, TARevisionRepository
from tests.requests.conftest import SMALL_LIMIT, audit_events, force_status, make_request
from tests.requests.streams import auto_stream, make_tgz, manual_stream, sha256, ta_bundle
from tests.requests.test_requests_rpc import bad_field
from tests.requests.test_samples_rpc import stored_files

BUNDLE = ta_bundle()


async def revision_rows(db, request_id) -> list:
    async with db.read_only() as session:
        return await TARevisionRepository(session).get_revision_history(request_id)


async def download(rpc, caller, rid, version) -> tuple[pb.DownloadTARevisionResponse, list[bytes]]:
    messages = [
        m
        async for m in rpc.DownloadTARevision(
            pb.DownloadTARevisionRequest(request_id=str(rid), version=version), metadata=caller.md
        )
    ]
    assert messages[0].WhichOneof("data") == "info"
    assert all(m.WhichOneof("data") == "chunk" for m in messages[1:])
    return messages[0], [m.chunk for m in messages[1:]]


async def test_manual_upload(rpc, cast, clean, objects_root) -> None:
    request = await make_request(clean, cast.owner.user_id, S.FAILED, source_system="Cisco ASA")
    reply = await rpc.UploadTARevision(manual_stream(request.id, BUNDLE), metadata=cast.approver.md)
    revision = reply.revision
    assert revision.version == 1 and revision.generated_by == pb.MANUAL
    assert revision.generated_by_user == str(cast.approver.user_id)
    assert revision.file_size == len(BUNDLE) and revision.checksum == sha256(BUNDLE)
    assert revision.storage_key.startswith(f"revisions/{request.id}/")
    assert (objects_root / revision.storage_key).read_bytes() == BUNDLE
    summary = dict(revision.config_summary)
    assert summary["app"] == "TA-apache" and summary["file_count"] == 3
    assert list(summary["conf_files"]["TA-apache/default/props.conf"]) == [
        "apache:access",
        "source::/var/log/apache",
    ]
    assert dict(revision.generation_metadata) == {
        "source": "manual_upload",
        "filename": "TA-apache.tgz",
    }
    [event] = await audit_events(clean, revision.id)
    assert event.action == "UPLOAD" and event.entity_type == "ta_revision"
    assert event.details["version"] == 1 and event.details["generated_by"] == "MANUAL"
    # The upload started attempt 1: the request validates the revision, its job knows it.
    assert revision.attempt == 1
    details = await rpc.GetRequest(
        pb.GetRequestRequest(request_id=str(request.id)), metadata=cast.owner.md
    )
    assert details.request.status == pb.VALIDATING and details.request.attempt == 1
    async with clean.read_only() as session:
        job = await GenerationJobRepository(session).for_attempt(request.id, 1)
    assert job is not None and str(job.ta_revision_id) == revision.id
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadTARevision(manual_stream(request.id, BUNDLE), metadata=cast.admin.md)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await force_status(clean, request.id, S.COMPLETED)
    second = await rpc.UploadTARevision(manual_stream(request.id, BUNDLE), metadata=cast.admin.md)
    assert second.revision.version == 2 and second.revision.attempt == 2


async def test_auto_revision(rpc, cast, clean) -> None:
    request = await make_request(clean, cast.owner.user_id, S.GENERATING_TA)
    given_summary = struct_pb2.Struct()
    given_summary.update({"props": ["apache:access"]})
    generation = struct_pb2.Struct()
    generation.update({"model": "llm-x", "prompt_version": "7"})
    reply = await rpc.CreateAutoRevision(
        auto_stream(
            request.id, BUNDLE, config_summary=given_summary, generation_metadata=generation
        ),
        metadata=cast.service.md,
    )
    revision = reply.revision
    assert revision.generated_by == pb.AUTO and revision.generated_by_user == ""
    assert revision.config_summary == given_summary
    assert revision.generation_metadata == generation
    computed = await rpc.CreateAutoRevision(
        auto_stream(request.id, BUNDLE), metadata=cast.service.md
    )
    assert computed.revision.version == 2
    assert dict(computed.revision.config_summary)["app"] == "TA-apache"
    assert not computed.revision.HasField("generation_metadata")
    [row, _] = await revision_rows(clean, request.id)
    assert row.generated_by is TARevisionType.AUTO


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"just text", "gzip-compressed tar"),
        (make_tgz({"TA/ok": b"", "/etc/cron.d/evil": b"x"}), "absolute"),
        (make_tgz({"TA/../../evil": b"x"}), "'..'"),
        (make_tgz({}), "no files"),
    ],
    ids=["text", "absolute", "dotdot", "empty"],
)
async def test_unsafe_or_invalid_bundles_keep_nothing(
    rpc, cast, clean, objects_root, data, reason
) -> None:
    request = await make_request(clean, cast.owner.user_id, S.COMPLETED)
    before = stored_files(objects_root)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadTARevision(manual_stream(request.id, data), metadata=cast.approver.md)
    assert bad_field(err.value) == "chunk"
    assert reason in (err.value.details() or "")
    assert await revision_rows(clean, request.id) == []
    assert stored_files(objects_root) == before
    assert await audit_events(clean) == []


async def test_revision_checksum_and_size(rpc, cast, clean, objects_root) -> None:
    request = await make_request(clean, cast.owner.user_id, S.FAILED)
    before = stored_files(objects_root)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadTARevision(
            manual_stream(request.id, BUNDLE, sha256="0" * 64), metadata=cast.approver.md
        )
    assert bad_field(err.value) == "sha256"
    huge = make_tgz({"TA/blob.bin": os.urandom(SMALL_LIMIT)})
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadTARevision(manual_stream(request.id, huge), metadata=cast.approver.md)
    assert bad_field(err.value) == "chunk"
    assert stored_files(objects_root) == before
    ok = await rpc.UploadTARevision(
        manual_stream(request.id, BUNDLE, sha256=sha256(BUNDLE)), metadata=cast.approver.md
    )
    assert ok.revision.version == 1


@pytest.mark.parametrize(
    "status",
    [S.NEW, S.PENDING_APPROVAL, S.REJECTED, S.APPROVED, S.GENERATING_TA, S.VALIDATING],
    ids=str,
)
async def test_manual_revision_needs_a_finished_attempt(rpc, cast, clean, status) -> None:
    request = await make_request(clean, cast.owner.user_id, status)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadTARevision(manual_stream(request.id, BUNDLE), metadata=cast.approver.md)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize("status", [s for s in S if s is not S.GENERATING_TA], ids=str)
async def test_auto_revision_only_while_generating(rpc, cast, clean, status) -> None:
    request = await make_request(clean, cast.owner.user_id, status)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.CreateAutoRevision(auto_stream(request.id, BUNDLE), metadata=cast.service.md)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_list_and_download(rpc, cast, clean) -> None:
    request = await make_request(clean, cast.owner.user_id, S.FAILED, source_system="Cisco ASA")
    other = ta_bundle("TA-cisco")
    await rpc.UploadTARevision(manual_stream(request.id, BUNDLE), metadata=cast.approver.md)
    await force_status(clean, request.id, S.FAILED)
    await rpc.UploadTARevision(manual_stream(request.id, other), metadata=cast.approver.md)
    listed = await rpc.ListTARevisions(
        pb.ListTARevisionsRequest(request_id=str(request.id)), metadata=cast.owner.md
    )
    assert [r.version for r in listed.revisions] == [2, 1]
    for caller in (cast.owner, cast.approver, cast.admin, cast.service):
        info, chunks = await download(rpc, caller, request.id, 2)
        assert b"".join(chunks) == other
    assert info.info.filename == "TA-Cisco-ASA-v2.tgz"
    assert info.info.content_type == "application/gzip"
    assert info.info.size == len(other) and info.info.sha256 == sha256(other)
    downloads = [e for e in await audit_events(clean) if e.action == "DOWNLOAD"]
    assert len(downloads) == 4
    assert downloads[0].details == {"request_id": str(request.id), "version": 2}
    assert downloads[0].user_id == cast.owner.user_id and downloads[3].user_id is None


async def test_download_streams_in_chunks(rpc, cast, clean, requests_settings) -> None:
    """A 3.5 MiB bundle put in storage directly comes back as several chunks."""
    request = await make_request(clean, cast.owner.user_id, S.COMPLETED)
    storage = LocalStorage(requests_settings.data_dir / "objects", requests_settings.storage_bucket)
    content = os.urandom(3 * 1024 * 1024 + 512 * 1024)
    key = f"revisions/{request.id}/{uuid.uuid4()}"

    async def one() -> object:
        yield content

    stored = await storage.put(key, one(), max_size=len(content))
    async with clean.unit_of_work() as session:
        await TARevisionRepository(session).create(
            {
                "request_id": request.id,
                "version": 1,
                "storage_key": key,
                "storage_bucket": stored.bucket,
                "generated_by": TARevisionType.AUTO,
                "file_size": stored.size,
                "checksum": stored.sha256,
            }
        )
    info, chunks = await download(rpc, cast.owner, request.id, 1)
    assert len(chunks) == 4 and max(len(c) for c in chunks) <= 1024 * 1024
    assert b"".join(chunks) == content and info.info.sha256 == sha256(content)
    await storage.delete(key)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await download(rpc, cast.owner, request.id, 1)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_download_refusals(rpc, cast, clean) -> None:
    request = await make_request(clean, cast.owner.user_id, S.COMPLETED)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await download(rpc, cast.owner, request.id, 1)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await download(rpc, cast.owner, request.id, 0)
    assert bad_field(err.value) == "version"
    await rpc.UploadTARevision(manual_stream(request.id, BUNDLE), metadata=cast.approver.md)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await download(rpc, cast.other, request.id, 1)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await download(rpc, cast.owner, uuid.uuid4(), 1)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
