"""Upload of a 200 MB log sample through the gRPC RequestService (`tagen serve requests` in
a child process) to the local-directory backend: throughput and the service's peak memory
growth while it streams.

Goals: at least 100 MB/s; peak memory growth under 32 MB.
Run: .venv/bin/python bench/bench_requests_upload.py [megabytes]
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator

import grpc
from requests_support import (
    migrated_database,
    peak_rss_bytes,
    requests_server,
    reset_peak_rss,
    rss_bytes,
)
from tagen.requests.v1 import requests_pb2 as pb
from tagen.requests.v1 import requests_pb2_grpc as pb_grpc

from services.kernel.enums import UserRoleEnum
from services.kernel.tokens import AccessTokenSigner

MB = 1000 * 1000
MiB = 1024 * 1024
CHUNK = 1 * MiB


class Sampler(threading.Thread):
    """Polls the server's RSS every few milliseconds."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.002)


async def upload(stub, md, request_id: str, total: int) -> pb.UploadLogSampleResponse:
    block = os.urandom(CHUNK)

    async def messages() -> AsyncIterator[pb.UploadLogSampleRequest]:
        yield pb.UploadLogSampleRequest(
            metadata=pb.LogSampleMetadata(request_id=request_id, filename="big.log")
        )
        sent = 0
        while sent < total:
            piece = block[: min(CHUNK, total - sent)]
            sent += len(piece)
            yield pb.UploadLogSampleRequest(chunk=piece)

    return await stub.UploadLogSample(messages(), metadata=md)


async def run(address: str, keys, pid: int, total: int) -> None:
    signer = AccessTokenSigner(keys.private_pem, "tagen-identity", 600)
    md = (("authorization", "Bearer " + signer.issue(uuid.uuid4(), "u", [UserRoleEnum.REQUESTOR])),)
    options = [("grpc.max_send_message_length", 16 * MiB)]
    async with grpc.aio.insecure_channel(address, options=options) as channel:
        stub = pb_grpc.RequestServiceStub(channel)
        created = await stub.CreateRequest(
            pb.CreateRequestRequest(source_system="bench"), metadata=md
        )
        rid = created.request.id
        await upload(stub, md, rid, 8 * MiB)  # warm up every code path once
        await asyncio.sleep(0.5)
        baseline = rss_bytes(pid)
        hwm_reset = reset_peak_rss(pid)
        sampler = Sampler(pid)
        sampler.start()
        start = time.perf_counter()
        reply = await upload(stub, md, rid, total)
        elapsed = time.perf_counter() - start
        sampler.running = False
        sampler.join()
        peak = max(sampler.peak, peak_rss_bytes(pid) if hwm_reset else 0)
        assert reply.sample.file_size == total
        print(
            f"uploaded {total / MB:.0f} MB in {elapsed:.2f} s: {total / MB / elapsed:.0f} MB/s "
            "(goal >= 100 MB/s)"
        )
        print(
            f"server RSS before {baseline / MiB:.1f} MiB, peak {peak / MiB:.1f} MiB: growth "
            f"{(peak - baseline) / MiB:.1f} MiB (goal < 32 MB)"
            + ("" if hwm_reset else " [sampled; VmHWM reset unavailable]")
        )


def main(megabytes: int) -> None:
    with (
        migrated_database() as (url, scratch),
        requests_server(url, scratch, MAX_SAMPLE_SIZE_BYTES=str(1024 * MiB)) as (
            address,
            keys,
            pid,
        ),
    ):
        asyncio.run(run(address, keys, pid, megabytes * MB))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
