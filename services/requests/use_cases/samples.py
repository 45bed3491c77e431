"""Log samples: streamed upload, listing, soft delete (with the object), download by
services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.kernel.call_context import require_principal, require_user
from services.kernel.enums import AuditAction
from services.kernel.errors import NotFound
from services.kernel.file_streams import check_content_type, clean_filename, require_data
from services.kernel.storage import normalize_sha256
from services.kernel.storage.ownership import owned_by_row
from services.requests import lifecycle
from services.requests.models import LogSample
from services.requests.repositories import LogSampleRepository, RequestRepository
from services.requests.use_cases import rules
from services.requests.use_cases.deps import RequestsDeps
from services.requests.use_cases.downloads import Download, opened
from services.requests.use_cases.uploads import PreviewTap, object_key

DEFAULT_SAMPLE_TYPE = "text/plain"


@dataclass(frozen=True)
class UploadInfo:
    """The first message of an upload, as the client sent it."""

    request_id: uuid.UUID
    filename: str
    content_type: str
    sha256: str


class SampleUseCases:
    def __init__(self, deps: RequestsDeps) -> None:
        self.deps = deps

    async def upload(self, info: UploadInfo, chunks: AsyncIterator[bytes]) -> LogSample:
        principal = require_user()
        filename = clean_filename("filename", info.filename)
        mime_type = check_content_type("content_type", info.content_type, DEFAULT_SAMPLE_TYPE)
        declared = normalize_sha256("sha256", info.sha256)
        async with self.deps.db.read_only() as session:
            request = await rules.load(RequestRepository(session), info.request_id)
            rules.require_reader(principal, request)
            rules.require_owner(principal, request, "upload log samples")
            lifecycle.require_editable(request.status, "log samples can be uploaded")
        tap = PreviewTap(await require_data(chunks))
        stored = await self.deps.storage.put(
            object_key("samples", info.request_id),
            tap,
            max_size=await self.deps.config.setting("MAX_SAMPLE_SIZE_BYTES", self.deps.settings),
            expected_sha256=declared,
            content_type=mime_type,
        )
        days = await self.deps.config.setting("SAMPLE_RETENTION_DAYS", self.deps.settings)
        retention = timedelta(days=days)
        async with owned_by_row(self.deps.storage, stored), self.deps.db.unit_of_work() as session:
            request = await rules.load_locked(RequestRepository(session), info.request_id)
            lifecycle.require_editable(request.status, "log samples can be uploaded")
            sample = await LogSampleRepository(session).create(
                {
                    "request_id": request.id,
                    "filename": filename,
                    "file_size": stored.size,
                    "mime_type": mime_type,
                    "storage_key": stored.key,
                    "storage_bucket": stored.bucket,
                    "checksum": stored.sha256,
                    "sample_preview": tap.preview(),
                    "retention_until": datetime.now(UTC) + retention,
                }
            )
            self.deps.audit.record(
                session,
                AuditAction.UPLOAD,
                "log_sample",
                sample.id,
                {
                    "request_id": str(request.id),
                    "filename": filename,
                    "file_size": stored.size,
                    "checksum": stored.sha256,
                },
            )
            return sample

    async def list(self, request_id: uuid.UUID) -> list[LogSample]:
        principal = require_principal()
        async with self.deps.db.read_only() as session:
            request = await rules.load(RequestRepository(session), request_id)
            rules.require_reader(principal, request)
            return await LogSampleRepository(session).get_by_request(request_id)

    async def download(self, request_id: uuid.UUID, sample_id: uuid.UUID) -> Download:
        """A live sample's content, for the request's readers (a person's download is
        audited; the services' reads for generation and validation are not)."""
        principal = require_principal()
        async with self.deps.db.read_only() as session:
            request = await rules.load(RequestRepository(session), request_id)
            rules.require_reader(principal, request)
            sample = await LogSampleRepository(session).get_live(sample_id)
            if sample is None or sample.request_id != request_id:
                raise NotFound("log_sample", sample_id)
        if not principal.is_service:
            async with self.deps.db.unit_of_work() as session:
                self.deps.audit.record(
                    session,
                    AuditAction.DOWNLOAD,
                    "log_sample",
                    sample.id,
                    {"request_id": str(request_id), "filename": sample.filename},
                )
        chunks = await opened(self.deps.storage, sample.storage_key, sample.storage_bucket)
        return Download(
            filename=sample.filename,
            content_type=sample.mime_type or DEFAULT_SAMPLE_TYPE,
            size=sample.file_size,
            sha256=sample.checksum or "",
            chunks=chunks,
        )

    async def delete(self, request_id: uuid.UUID, sample_id: uuid.UUID) -> None:
        """Soft-delete the row and delete the object in one transaction: when the object
        cannot be deleted (storage unavailable) the row stays as it was."""
        principal = require_user()
        async with self.deps.db.unit_of_work() as session:
            request = await rules.load_locked(RequestRepository(session), request_id)
            rules.require_reader(principal, request)
            rules.require_owner(principal, request, "delete log samples")
            lifecycle.require_editable(request.status, "log samples can be deleted")
            samples = LogSampleRepository(session)
            sample = await samples.get_live(sample_id, for_update=True)
            if sample is None or sample.request_id != request_id:
                raise NotFound("log_sample", sample_id)
            await samples.mark_as_deleted(sample.id)
            self.deps.audit.record(
                session,
                AuditAction.DELETE,
                "log_sample",
                sample.id,
                {"request_id": str(request_id), "filename": sample.filename},
            )
            await session.flush()
            await self.deps.storage.delete(sample.storage_key, bucket=sample.storage_bucket)
