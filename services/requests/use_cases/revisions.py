"""TA revisions: AUTO ones from the generation pipeline, MANUAL ones uploaded by approvers
(each starts a new attempt that validates it), their history and their download."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kernel.call_context import require_principal
from services.kernel.enums import AuditAction
from services.kernel.errors import FailedPrecondition, InvalidArgument, NotFound
from services.kernel.file_streams import check_content_type, clean_filename, require_data
from services.kernel.storage import StoredObject, normalize_sha256
from services.kernel.storage.ownership import discard, owned_by_row
from services.requests import lifecycle
from services.requests.bundles import inspect_bundle
from services.requests.enums import RequestStatus, TARevisionType
from services.requests.models import Request, TARevision
from services.requests.repositories import (
    GenerationJobRepository,
    RequestRepository,
    TARevisionRepository,
)
from services.requests.use_cases import rules
from services.requests.use_cases.deps import RequestsDeps
from services.requests.use_cases.downloads import Download
from services.requests.use_cases.samples import UploadInfo
from services.requests.use_cases.transitions import apply
from services.requests.use_cases.uploads import object_key

BUNDLE_TYPE = "application/gzip"
_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


def bundle_filename(source_system: str, version: int) -> str:
    slug = _SLUG.sub("-", source_system).strip("-")[:64] or "bundle"
    return f"TA-{slug}-v{version}.tgz"


class RevisionUseCases:
    def __init__(self, deps: RequestsDeps) -> None:
        self.deps = deps

    async def list(self, request_id: uuid.UUID) -> list[TARevision]:
        principal = require_principal()
        async with self.deps.db.read_only() as session:
            request = await rules.load(RequestRepository(session), request_id)
            rules.require_reader(principal, request)
            return await TARevisionRepository(session).get_revision_history(request_id)

    async def upload_manual(self, info: UploadInfo, chunks: AsyncIterator[bytes]) -> TARevision:
        """A MANUAL revision from an APPROVER or ADMIN of a FAILED or COMPLETED request: it
        starts a new attempt, the request goes to VALIDATING and the revision is validated."""
        principal = require_principal()
        filename = clean_filename("filename", info.filename)
        metadata = {"source": "manual_upload", "filename": filename}
        return await self._create(
            info, chunks, TARevisionType.MANUAL, principal.user_id, None, metadata
        )

    async def store_generated(
        self,
        request_id: uuid.UUID,
        attempt: int,
        package: bytes,
        config_summary: dict[str, Any],
        generation_metadata: dict[str, Any],
    ) -> TARevision:
        """The pipeline's AUTO revision of `attempt`; in the same transaction the request
        moves GENERATING_TA -> VALIDATING and the attempt's job records the revision. A second
        revision for one attempt is refused by the unique (request_id, attempt)."""

        async def chunks() -> AsyncIterator[bytes]:
            yield package

        info = UploadInfo(request_id, "generated.tgz", BUNDLE_TYPE, "")
        return await self._create(
            info,
            chunks(),
            TARevisionType.AUTO,
            None,
            config_summary,
            generation_metadata,
            attempt=attempt,
        )

    async def create_auto(
        self,
        info: UploadInfo,
        chunks: AsyncIterator[bytes],
        config_summary: dict[str, Any] | None,
        generation_metadata: dict[str, Any] | None,
    ) -> TARevision:
        """An AUTO revision stored by the generation pipeline (a service identity)."""
        clean_filename("filename", info.filename)
        return await self._create(
            info, chunks, TARevisionType.AUTO, None, config_summary, generation_metadata
        )

    async def _create(
        self,
        info: UploadInfo,
        chunks: AsyncIterator[bytes],
        kind: TARevisionType,
        uploader: uuid.UUID | None,
        config_summary: dict[str, Any] | None,
        generation_metadata: dict[str, Any] | None,
        *,
        attempt: int | None = None,
    ) -> TARevision:
        """Store the bundle, then (one transaction) the revision row, its audit event and,
        for a MANUAL revision or a pipeline attempt's AUTO one, the request's move to
        VALIDATING."""
        check_content_type("content_type", info.content_type, BUNDLE_TYPE)
        declared = normalize_sha256("sha256", info.sha256)
        allowed = (
            lifecycle.ACCEPTS_AUTO_REVISION
            if kind is TARevisionType.AUTO
            else lifecycle.ACCEPTS_MANUAL_REVISION
        )
        async with self.deps.db.read_only() as session:
            request = await rules.load(RequestRepository(session), info.request_id)
            _require_state(request.status, allowed, kind)
        stored = await self.deps.storage.put(
            object_key("revisions", info.request_id),
            await require_data(chunks),
            max_size=await self.deps.config.setting("MAX_TA_SIZE_BYTES", self.deps.settings),
            expected_sha256=declared,
            content_type=BUNDLE_TYPE,
        )
        summary = await self._inspect(stored)
        async with owned_by_row(self.deps.storage, stored), self.deps.db.unit_of_work() as session:
            request = await rules.load_locked(RequestRepository(session), info.request_id)
            _require_state(request.status, allowed, kind)
            step = None
            if kind is TARevisionType.MANUAL:
                step = lifecycle.transition(request.status, RequestStatus.VALIDATING)
                rules.require_reviewer(require_principal(), request)
                attempt = request.attempt + 1
            elif attempt is not None:
                _require_attempt(request, attempt)
                step = lifecycle.transition(request.status, RequestStatus.VALIDATING)
            revisions = TARevisionRepository(session)
            revision = await revisions.create(
                {
                    "request_id": request.id,
                    "version": await revisions.get_next_version(request.id),
                    "storage_key": stored.key,
                    "storage_bucket": stored.bucket,
                    "generated_by": kind,
                    "generated_by_user": uploader,
                    "file_size": stored.size,
                    "checksum": stored.sha256,
                    "config_summary": config_summary or summary,
                    "generation_metadata": generation_metadata,
                    "attempt": attempt,
                }
            )
            self.deps.audit.record(
                session,
                AuditAction.UPLOAD,
                "ta_revision",
                revision.id,
                {
                    "request_id": str(request.id),
                    "version": revision.version,
                    "generated_by": kind.value,
                    "file_size": stored.size,
                    "checksum": stored.sha256,
                    "attempt": attempt,
                },
            )
            if step is not None:
                await self._validate(session, request, step, revision)
        if kind is TARevisionType.MANUAL:
            self.deps.jobs_due.set()  # committed: the new attempt's job is due
        return revision

    async def _validate(
        self,
        session: AsyncSession,
        request: Request,
        step: lifecycle.Transition,
        revision: TARevision,
    ) -> None:
        """Move the request to VALIDATING with `revision`: a MANUAL revision's move opens a
        new attempt whose job knows the revision; an AUTO revision's job learns it."""
        details = {"ta_revision_id": str(revision.id)}
        if revision.generated_by is TARevisionType.MANUAL:
            await apply(self.deps, session, request, step, {}, details, ta_revision_id=revision.id)
            return
        jobs = GenerationJobRepository(session)
        job = await jobs.for_attempt(request.id, revision.attempt or 0)
        if job is not None:
            await jobs.set_revision(job.id, revision.id)
        await apply(self.deps, session, request, step, {}, details)

    async def _inspect(self, stored: StoredObject) -> dict[str, Any]:
        """The bundle's config summary; the object is removed when the bundle is refused."""
        storage = self.deps.storage

        def run() -> dict[str, Any]:
            with storage.open_reader(stored.key, bucket=stored.bucket) as reader:
                return inspect_bundle(reader)

        try:
            return await asyncio.to_thread(run)
        except BaseException:
            await discard(storage, stored)
            raise

    async def download(self, request_id: uuid.UUID, version: int) -> Download:
        principal = require_principal()
        if version < 1:
            raise InvalidArgument("version", "must be 1 or more")
        async with self.deps.db.read_only() as session:
            request = await rules.load(RequestRepository(session), request_id)
            rules.require_reader(principal, request)
            revision = await TARevisionRepository(session).get_by_version(request_id, version)
            if revision is None:
                raise NotFound("ta_revision", f"{request_id} v{version}")
        chunks = self.deps.storage.get(revision.storage_key, bucket=revision.storage_bucket)
        try:
            first = await anext(chunks, b"")
            async with self.deps.db.unit_of_work() as session:
                self.deps.audit.record(
                    session,
                    AuditAction.DOWNLOAD,
                    "ta_revision",
                    revision.id,
                    {"request_id": str(request_id), "version": version},
                )
        except BaseException:
            await chunks.aclose()  # type: ignore[attr-defined]
            raise

        async def content() -> AsyncIterator[bytes]:
            if first:
                yield first
            async for chunk in chunks:
                yield chunk

        return Download(
            filename=bundle_filename(request.source_system, version),
            content_type=BUNDLE_TYPE,
            size=revision.file_size or 0,
            sha256=revision.checksum or "",
            chunks=content(),
        )


def _require_attempt(request: Request, attempt: int) -> None:
    if request.status != RequestStatus.GENERATING_TA or request.attempt != attempt:
        raise FailedPrecondition(
            f"attempt {attempt} no longer generates a TA (the request is {request.status}, "
            f"attempt {request.attempt})"
        )


def _require_state(status: Any, allowed: frozenset[Any], kind: TARevisionType) -> None:
    if status not in allowed:
        states = ", ".join(sorted(allowed))
        raise FailedPrecondition(
            f"a {kind} revision can be added only while the request is {states} (it is {status})"
        )
