"""Log samples over gRPC on the local-directory backend: streamed upload (checksum, size
limit, preview, retention), listing, soft delete with the object, and every refusal leaving
no row and no object behind."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from tagen.requests.v1 import requests_pb2 as pb

from services.requests.enums import RequestStatus
from services.requests.repositories import LogSampleRepository
from tests.requests.conftest import SMALL_LIMIT, audit_events, make_request
from tests.requests.streams import chunked, sample_stream, sha256
from tests.requests.test_requests_rpc import bad_field

LOG = b"".join(f"127.0.0.1 - - [10/Oct/2030:13:55:{i:02d}] GET /{i}\n".encode() for i in range(40))


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


async def rows(db, request_id) -> list:
    async with db.read_only() as session:
        return await LogSampleRepository(session).get_all(filters={"request_id": request_id})


@pytest.fixture
async def new_request(clean, cast):
    return await make_request(clean, cast.owner.user_id)


async def test_upload_streams_to_storage(rpc, cast, clean, new_request, objects_root) -> None:
    rid = new_request.id
    before = datetime.now(UTC)
    reply = await rpc.UploadLogSample(sample_stream(rid, LOG), metadata=cast.owner.md)
    sample = reply.sample
    assert sample.request_id == str(rid) and sample.filename == "access.log"
    assert sample.file_size == len(LOG) and sample.checksum == sha256(LOG)
    assert sample.mime_type == "text/plain"
    assert sample.sample_preview == "\n".join(LOG.decode().splitlines()[:10])
    until = sample.retention_until.ToDatetime(tzinfo=UTC)
    assert before + timedelta(days=30) <= until <= datetime.now(UTC) + timedelta(days=30)
    assert sample.storage_bucket == "tagen-test"
    kind, request_part, object_id = sample.storage_key.split("/")
    assert (kind, request_part) == ("samples", str(rid)) and uuid.UUID(object_id)
    assert (objects_root / sample.storage_key).read_bytes() == LOG
    [event] = [e for e in await audit_events(clean) if e.action == "UPLOAD"]
    assert event.entity_type == "log_sample" and str(event.entity_id) == sample.id
    assert event.details["checksum"] == sha256(LOG) and event.user_id == cast.owner.user_id


async def test_declared_checksum_is_accepted_in_any_case(rpc, cast, new_request) -> None:
    reply = await rpc.UploadLogSample(
        sample_stream(new_request.id, LOG, sha256=sha256(LOG).upper()), metadata=cast.owner.md
    )
    assert reply.sample.checksum == sha256(LOG)


async def test_checksum_mismatch_keeps_nothing(rpc, cast, clean, new_request, objects_root) -> None:
    before = stored_files(objects_root)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadLogSample(
            sample_stream(new_request.id, LOG, sha256="ab" * 32), metadata=cast.owner.md
        )
    assert bad_field(err.value) == "sha256"
    assert await rows(clean, new_request.id) == []
    assert stored_files(objects_root) == before
    assert await audit_events(clean) == []


@pytest.mark.parametrize("declared", ["abc", "z" * 64, "a" * 63])
async def test_malformed_checksum(rpc, cast, clean, new_request, declared) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadLogSample(
            sample_stream(new_request.id, LOG, sha256=declared), metadata=cast.owner.md
        )
    assert bad_field(err.value) == "sha256"
    assert await rows(clean, new_request.id) == []


async def test_size_limit(rpc, cast, clean, new_request, objects_root) -> None:
    before = stored_files(objects_root)
    exact = b"x" * SMALL_LIMIT
    ok = await rpc.UploadLogSample(sample_stream(new_request.id, exact), metadata=cast.owner.md)
    assert ok.sample.file_size == SMALL_LIMIT
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadLogSample(
            sample_stream(new_request.id, exact + b"y"), metadata=cast.owner.md
        )
    assert bad_field(err.value) == "chunk"
    assert str(SMALL_LIMIT) in (err.value.details() or "")
    assert len(await rows(clean, new_request.id)) == 1
    assert len(stored_files(objects_root)) == len(before) + 1


async def test_upload_with_no_data(rpc, cast, clean, new_request) -> None:
    for data in (b"", [b"", b""]):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await rpc.UploadLogSample(sample_stream(new_request.id, data), metadata=cast.owner.md)
        assert bad_field(err.value) == "chunk"
    assert await rows(clean, new_request.id) == []


async def test_metadata_must_come_first_and_once(rpc, cast, clean, new_request) -> None:
    async def chunk_first() -> AsyncIterator[pb.UploadLogSampleRequest]:
        yield pb.UploadLogSampleRequest(chunk=b"data")

    async def twice() -> AsyncIterator[pb.UploadLogSampleRequest]:
        async for message in sample_stream(new_request.id, LOG):
            yield message
        yield pb.UploadLogSampleRequest(metadata=pb.LogSampleMetadata(filename="again"))

    async def nothing() -> AsyncIterator[pb.UploadLogSampleRequest]:
        return
        yield

    for stream in (chunk_first(), twice(), nothing()):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await rpc.UploadLogSample(stream, metadata=cast.owner.md)
        assert bad_field(err.value) == "metadata"
    assert await rows(clean, new_request.id) == []


async def test_filename_is_kept_as_a_name_only(rpc, cast, new_request, objects_root) -> None:
    for given, kept in [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/abs/dir/x.log", "x.log"),
        ("name\x00with\nctl.log", "namewithctl.log"),
    ]:
        reply = await rpc.UploadLogSample(
            sample_stream(new_request.id, LOG, filename=given), metadata=cast.owner.md
        )
        assert reply.sample.filename == kept
        assert reply.sample.storage_key.startswith(f"samples/{new_request.id}/")
        assert kept not in reply.sample.storage_key
    assert all(objects_root in p.parents for p in stored_files(objects_root.parent.parent))
    assert not (objects_root.parent.parent / "etc").exists()


@pytest.mark.parametrize(
    ("field", "meta"),
    [
        ("filename", {"filename": "../"}),
        ("filename", {"filename": ""}),
        ("content_type", {"content_type": "not a type"}),
        ("request_id", {}),
    ],
)
async def test_bad_metadata(rpc, cast, clean, new_request, field, meta) -> None:
    rid = "" if field == "request_id" else new_request.id
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadLogSample(sample_stream(rid, LOG, **meta), metadata=cast.owner.md)
    assert bad_field(err.value) == field


async def test_upload_refusals(rpc, cast, clean) -> None:
    submitted = await make_request(clean, cast.owner.user_id, RequestStatus.PENDING_APPROVAL)
    theirs = await make_request(clean, cast.other.user_id)
    cases = [
        (submitted.id, cast.owner, grpc.StatusCode.FAILED_PRECONDITION),
        (theirs.id, cast.owner, grpc.StatusCode.NOT_FOUND),
        (uuid.uuid4(), cast.owner, grpc.StatusCode.NOT_FOUND),
    ]
    for rid, caller, code in cases:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await rpc.UploadLogSample(sample_stream(rid, LOG), metadata=caller.md)
        assert err.value.code() == code


async def test_state_change_during_upload_removes_the_object(
    rpc, cast, clean, new_request, objects_root
) -> None:
    """The request is submitted while a second sample streams: its row is refused and the
    object that was already written is removed."""
    first = await rpc.UploadLogSample(
        sample_stream(str(new_request.id), LOG), metadata=cast.owner.md
    )
    before = stored_files(objects_root)

    async def racing() -> AsyncIterator[pb.UploadLogSampleRequest]:
        yield pb.UploadLogSampleRequest(
            metadata=pb.LogSampleMetadata(request_id=str(new_request.id), filename="a.log")
        )
        for i, chunk in enumerate(chunked(LOG * 20, 4096)):
            if i == 2:
                await rpc.SubmitRequest(
                    pb.SubmitRequestRequest(request_id=str(new_request.id)), metadata=cast.owner.md
                )
            yield pb.UploadLogSampleRequest(chunk=chunk)

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadLogSample(racing(), metadata=cast.owner.md)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert [row.id for row in await rows(clean, new_request.id)] == [uuid.UUID(first.sample.id)]
    assert stored_files(objects_root) == before


async def test_list_and_delete(rpc, cast, clean, new_request, objects_root) -> None:
    rid = str(new_request.id)
    first = (await rpc.UploadLogSample(sample_stream(rid, LOG), metadata=cast.owner.md)).sample
    second = (await rpc.UploadLogSample(sample_stream(rid, b"x\n"), metadata=cast.owner.md)).sample
    listed = await rpc.ListLogSamples(
        pb.ListLogSamplesRequest(request_id=rid), metadata=cast.approver.md
    )
    assert {s.id for s in listed.samples} == {first.id, second.id}
    await rpc.DeleteLogSample(
        pb.DeleteLogSampleRequest(request_id=rid, sample_id=first.id), metadata=cast.owner.md
    )
    assert not (objects_root / first.storage_key).exists()
    assert (objects_root / second.storage_key).exists()
    listed = await rpc.ListLogSamples(
        pb.ListLogSamplesRequest(request_id=rid), metadata=cast.owner.md
    )
    assert [s.id for s in listed.samples] == [second.id]
    details = await rpc.GetRequest(pb.GetRequestRequest(request_id=rid), metadata=cast.owner.md)
    assert [s.id for s in details.log_samples] == [second.id]
    kept = {str(r.id): r for r in await rows(clean, new_request.id)}
    assert kept[first.id].deleted_at is not None  # soft delete: the row stays
    events = [e for e in await audit_events(clean) if e.action == "DELETE"]
    assert [(e.entity_type, str(e.entity_id)) for e in events] == [("log_sample", first.id)]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.DeleteLogSample(
            pb.DeleteLogSampleRequest(request_id=rid, sample_id=first.id), metadata=cast.owner.md
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    other = await make_request(clean, cast.owner.user_id)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.DeleteLogSample(
            pb.DeleteLogSampleRequest(request_id=str(other.id), sample_id=second.id),
            metadata=cast.owner.md,
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.DeleteLogSample(
            pb.DeleteLogSampleRequest(request_id=rid, sample_id="x"), metadata=cast.owner.md
        )
    assert bad_field(err.value) == "sample_id"


async def test_samples_of_submitted_requests_cannot_be_deleted(rpc, cast, new_request) -> None:
    rid = str(new_request.id)
    sample = (await rpc.UploadLogSample(sample_stream(rid, LOG), metadata=cast.owner.md)).sample
    await rpc.SubmitRequest(pb.SubmitRequestRequest(request_id=rid), metadata=cast.owner.md)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.DeleteLogSample(
            pb.DeleteLogSampleRequest(request_id=rid, sample_id=sample.id), metadata=cast.owner.md
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_storage_unreachable(broken_rpc, cast, clean) -> None:
    request = await make_request(clean, cast.owner.user_id)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await broken_rpc.UploadLogSample(sample_stream(request.id, LOG), metadata=cast.owner.md)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert await rows(clean, request.id) == []
    async with clean.unit_of_work() as session:
        sample = await LogSampleRepository(session).create(
            {
                "request_id": request.id,
                "filename": "a.log",
                "file_size": 1,
                "storage_key": f"samples/{request.id}/{uuid.uuid4()}",
                "storage_bucket": "tagen-broken",
            }
        )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await broken_rpc.DeleteLogSample(
            pb.DeleteLogSampleRequest(request_id=str(request.id), sample_id=str(sample.id)),
            metadata=cast.owner.md,
        )
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    [row] = await rows(clean, request.id)
    assert row.deleted_at is None  # the object could not be deleted: nothing changed
    assert [e.action for e in await audit_events(clean)] == []
