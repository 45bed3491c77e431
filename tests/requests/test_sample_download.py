"""DownloadLogSample: a service reads a live sample's bytes (file info first, then chunks);
deleted samples, samples of another request and malformed ids are refused."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from tagen.requests.v1 import requests_pb2 as pb

from tests.requests.conftest import Cast, audit_events, make_request
from tests.requests.streams import CHUNK, sample_stream, sha256

LOG = b"".join(
    f"10.0.0.{i % 250} - - [10/Oct/2030:13:55:00] GET /{i}\n".encode() for i in range(4000)
)


async def download(rpc: Any, cast: Cast, request_id: str, sample_id: str) -> list[Any]:
    stream = rpc.DownloadLogSample(
        pb.DownloadLogSampleRequest(request_id=request_id, sample_id=sample_id),
        metadata=cast.service.md,
    )
    return [message async for message in stream]


async def test_service_downloads_the_sample(rpc, cast, clean) -> None:
    assert len(LOG) > CHUNK
    request = await make_request(clean, cast.owner.user_id)
    rid = str(request.id)
    sample = (
        await rpc.UploadLogSample(
            sample_stream(rid, LOG, filename="web.log", content_type="text/x-log"),
            metadata=cast.owner.md,
        )
    ).sample
    before = len(await audit_events(clean))
    messages = await download(rpc, cast, rid, sample.id)
    info = messages[0].info
    assert messages[0].WhichOneof("data") == "info"
    assert (info.filename, info.content_type, info.size) == ("web.log", "text/x-log", len(LOG))
    assert info.sha256 == sha256(LOG)
    assert all(m.WhichOneof("data") == "chunk" for m in messages[1:])
    assert b"".join(m.chunk for m in messages[1:]) == LOG
    assert len(await audit_events(clean)) == before  # a service read is no human action


async def test_refusals(rpc, cast, clean) -> None:
    request = await make_request(clean, cast.owner.user_id)
    other = await make_request(clean, cast.owner.user_id)
    rid = str(request.id)
    sample = (await rpc.UploadLogSample(sample_stream(rid, b"x\n"), metadata=cast.owner.md)).sample
    cases = [
        (str(other.id), sample.id, grpc.StatusCode.NOT_FOUND, "log_sample"),
        (rid, str(uuid.uuid4()), grpc.StatusCode.NOT_FOUND, "log_sample"),
        (str(uuid.uuid4()), sample.id, grpc.StatusCode.NOT_FOUND, "request"),
        ("nope", sample.id, grpc.StatusCode.INVALID_ARGUMENT, "request_id"),
        (rid, "", grpc.StatusCode.INVALID_ARGUMENT, "sample_id"),
    ]
    for request_id, sample_id, code, text in cases:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await download(rpc, cast, request_id, sample_id)
        assert err.value.code() == code and text in (err.value.details() or "")
    await rpc.DeleteLogSample(
        pb.DeleteLogSampleRequest(request_id=rid, sample_id=sample.id), metadata=cast.owner.md
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await download(rpc, cast, rid, sample.id)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
