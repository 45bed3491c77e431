"""The same upload and download flows through a RequestService whose storage is S3 (moto's
server over real HTTP)."""

from __future__ import annotations

import grpc
import pytest
from tagen.requests.v1 import requests_pb2 as pb

from services.requests.enums import RequestStatus as S
from tests.kernel.s3_server import moto_storage
from tests.requests.conftest import SMALL_LIMIT, audit_events, make_request
from tests.requests.streams import make_tgz, manual_stream, sample_stream, sha256, ta_bundle
from tests.requests.test_requests_rpc import bad_field
from tests.requests.test_samples_rpc import LOG, rows

BUCKET = "tagen-s3-service"


class Bucket:
    """Looks into the service's bucket on the moto server."""

    def __init__(self) -> None:
        self.client = moto_storage(BUCKET).client

    def objects(self) -> set[str]:
        listed = self.client.list_objects_v2(Bucket=BUCKET)
        return {o["Key"] for o in listed.get("Contents", [])}

    def content(self, key: str) -> bytes:
        return self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


@pytest.fixture
def bucket(s3_service) -> Bucket:
    return Bucket()


async def test_sample_upload_list_delete_on_s3(s3_rpc, cast, clean, bucket) -> None:
    request = await make_request(clean, cast.owner.user_id)
    rid = str(request.id)
    reply = await s3_rpc.UploadLogSample(
        sample_stream(rid, LOG, sha256=sha256(LOG)), metadata=cast.owner.md
    )
    sample = reply.sample
    assert sample.storage_bucket == BUCKET and sample.checksum == sha256(LOG)
    assert bucket.content(sample.storage_key) == LOG
    head = bucket.client.head_object(Bucket=BUCKET, Key=sample.storage_key)
    assert head["ContentType"] == "text/plain"
    await s3_rpc.DeleteLogSample(
        pb.DeleteLogSampleRequest(request_id=rid, sample_id=sample.id), metadata=cast.owner.md
    )
    assert sample.storage_key not in bucket.objects()


async def test_checksum_mismatch_on_s3_keeps_nothing(s3_rpc, cast, clean, bucket) -> None:
    request = await make_request(clean, cast.owner.user_id)
    before = bucket.objects()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await s3_rpc.UploadLogSample(
            sample_stream(request.id, LOG, sha256="1" * 64), metadata=cast.owner.md
        )
    assert bad_field(err.value) == "sha256"
    assert bucket.objects() == before
    assert await rows(clean, request.id) == []
    assert await audit_events(clean) == []


async def test_size_limit_on_s3_keeps_nothing(s3_rpc, cast, clean, bucket) -> None:
    request = await make_request(clean, cast.owner.user_id)
    before = bucket.objects()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await s3_rpc.UploadLogSample(
            sample_stream(request.id, b"z" * (SMALL_LIMIT + 1)), metadata=cast.owner.md
        )
    assert bad_field(err.value) == "chunk"
    assert bucket.objects() == before
    assert await rows(clean, request.id) == []


async def test_revision_upload_and_download_on_s3(s3_rpc, cast, clean, bucket) -> None:
    request = await make_request(clean, cast.owner.user_id, S.FAILED)
    bundle = ta_bundle()
    reply = await s3_rpc.UploadTARevision(manual_stream(request.id, bundle), metadata=cast.admin.md)
    assert bucket.content(reply.revision.storage_key) == bundle
    assert dict(reply.revision.config_summary)["app"] == "TA-apache"
    messages = [
        m
        async for m in s3_rpc.DownloadTARevision(
            pb.DownloadTARevisionRequest(request_id=str(request.id), version=1),
            metadata=cast.owner.md,
        )
    ]
    assert messages[0].info.sha256 == sha256(bundle)
    assert b"".join(m.chunk for m in messages[1:]) == bundle


async def test_unsafe_bundle_on_s3_keeps_nothing(s3_rpc, cast, clean, bucket) -> None:
    request = await make_request(clean, cast.owner.user_id, S.FAILED)
    before = bucket.objects()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await s3_rpc.UploadTARevision(
            manual_stream(request.id, make_tgz({"../../root/.ssh/authorized_keys": b"k"})),
            metadata=cast.admin.md,
        )
    assert bad_field(err.value) == "chunk"
    assert bucket.objects() == before
