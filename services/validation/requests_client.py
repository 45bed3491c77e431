"""The validation context's client of the requests service: a request with its samples and
revisions, and the bytes of a TA bundle or a log sample streamed into a file.

Every call carries the validation service identity plus the correlation id, client IP and
user agent of the call being served (services/kernel/outbound.py)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterable
from pathlib import Path
from typing import Any

import grpc
from tagen.files.v1 import files_pb2
from tagen.requests.v1 import requests_pb2 as requests_pb
from tagen.requests.v1 import requests_pb2_grpc as requests_grpc

from services.kernel.errors import DomainError, NotFound, Unavailable
from services.kernel.outbound import service_call_metadata
from services.kernel.tokens import ServiceIdentity

RPC_TIMEOUT_SECONDS = 10.0
DOWNLOAD_TIMEOUT_SECONDS = 600.0


class DownloadError(DomainError):
    """A file stream that broke the streaming convention or does not match its checksum."""


def _translated(exc: grpc.aio.AioRpcError, entity: str, key: object) -> Exception:
    """NOT_FOUND stays NOT_FOUND (naming what is missing); a requests service that cannot
    be reached or refuses the service identity makes the call UNAVAILABLE."""
    code = exc.code()
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound(entity, key)
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return exc
    return Unavailable(f"requests service: {code.name} {exc.details() or ''}".strip())


class RequestsClient:
    def __init__(self, address: str, identity: ServiceIdentity) -> None:
        self.address = address
        self.identity = identity
        self._channel: grpc.aio.Channel | None = None

    def _stub(self) -> requests_grpc.RequestServiceStub:
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(
                self.address,
                options=[
                    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
                    ("grpc.max_send_message_length", 16 * 1024 * 1024),
                ],
            )
        return requests_grpc.RequestServiceStub(self._channel)

    async def get_request(self, request_id: uuid.UUID) -> requests_pb.GetRequestResponse:
        """The request with its live log samples and its TA revisions."""
        try:
            reply: requests_pb.GetRequestResponse = await self._stub().GetRequest(
                requests_pb.GetRequestRequest(request_id=str(request_id)),
                metadata=service_call_metadata(self.identity),
                timeout=RPC_TIMEOUT_SECONDS,
            )
        except grpc.aio.AioRpcError as exc:
            raise _translated(exc, "request", request_id) from exc
        return reply

    async def record_verdict(
        self,
        request_id: uuid.UUID,
        run_id: uuid.UUID,
        ta_revision_id: uuid.UUID,
        passed: bool,
        message: str,
    ) -> bool:
        """Deliver a finished run's verdict; whether it moved the request (a verdict of an
        older attempt, or a repeat, is acknowledged without effect)."""
        try:
            reply: requests_pb.RecordValidationVerdictResponse = (
                await self._stub().RecordValidationVerdict(
                    requests_pb.RecordValidationVerdictRequest(
                        request_id=str(request_id),
                        validation_run_id=str(run_id),
                        ta_revision_id=str(ta_revision_id),
                        passed=passed,
                        message=message,
                    ),
                    metadata=service_call_metadata(self.identity),
                    timeout=RPC_TIMEOUT_SECONDS,
                )
            )
        except grpc.aio.AioRpcError as exc:
            raise _translated(exc, "request", request_id) from exc
        return reply.applied

    async def download_revision(
        self, request_id: uuid.UUID, version: int, target: Path
    ) -> files_pb2.FileInfo:
        """The .tgz of one revision, written to `target`."""
        stream = self._stub().DownloadTARevision(
            requests_pb.DownloadTARevisionRequest(request_id=str(request_id), version=version),
            metadata=service_call_metadata(self.identity),
            timeout=DOWNLOAD_TIMEOUT_SECONDS,
        )
        return await self._save(stream, target, "ta_revision", f"{request_id} v{version}")

    async def download_sample(
        self, request_id: uuid.UUID, sample_id: str, target: Path
    ) -> files_pb2.FileInfo:
        """A live log sample's content, written to `target`."""
        stream = self._stub().DownloadLogSample(
            requests_pb.DownloadLogSampleRequest(request_id=str(request_id), sample_id=sample_id),
            metadata=service_call_metadata(self.identity),
            timeout=DOWNLOAD_TIMEOUT_SECONDS,
        )
        return await self._save(stream, target, "log_sample", sample_id)

    async def _save(
        self, stream: AsyncIterable[Any], target: Path, entity: str, key: object
    ) -> files_pb2.FileInfo:
        """Write a download stream (file info first, then chunks) to `target`, checking the
        SHA-256 the info declares; memory does not grow with the file."""
        info: files_pb2.FileInfo | None = None
        digest = hashlib.sha256()
        handle = await asyncio.to_thread(target.open, "wb")
        try:
            async for message in stream:
                kind = message.WhichOneof("data")
                if info is None:
                    if kind != "info":
                        raise DownloadError(f"{entity} {key}: the stream did not start with info")
                    info = message.info
                elif kind == "chunk":
                    digest.update(message.chunk)
                    await asyncio.to_thread(handle.write, message.chunk)
        except grpc.aio.AioRpcError as exc:
            raise _translated(exc, entity, key) from exc
        finally:
            await asyncio.to_thread(handle.close)
        if info is None:
            raise DownloadError(f"{entity} {key}: the stream was empty")
        if info.sha256 and digest.hexdigest() != info.sha256:
            raise DownloadError(f"{entity} {key}: the content does not match its SHA-256")
        return info

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
