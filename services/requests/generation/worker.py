"""The generation worker, a background task of the requests service (any number of replicas).

It claims a due generation job (FOR UPDATE SKIP LOCKED, with a lease it renews while it
works) and advances the job's attempt step by step, each step one transaction that checks
what is already done:

    APPROVED      -> GENERATING_TA
    GENERATING_TA -> build the TA from the samples (knowledge consulted) -> AUTO revision of
                     the attempt + VALIDATING (one transaction; unique (request_id, attempt))
    VALIDATING    -> queue the validation run of the attempt's revision (idempotent) -> job done

A worker that dies leaves its lease to expire and another worker resumes the job where the
request is. A sample the builder refuses FAILS the request with the reason; a step that
breaks otherwise is retried with backoff, and after GENERATION_MAX_TRIES the request FAILS
with the last error. The validation verdict completes or fails the request later
(RecordValidationVerdict)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from services.kernel.background import drain_forever
from services.kernel.call_context import CallContext, Principal, reset_call, set_call
from services.kernel.errors import DomainError, NotFound
from services.kernel.metrics import timed_stage
from services.requests import lifecycle
from services.requests.enums import RequestStatus
from services.requests.generation.build import generate
from services.requests.generation.clients import KnowledgeClient, ValidationClient
from services.requests.generation.knowledge import consult
from services.requests.models import GenerationJob, Request
from services.requests.repositories import (
    GenerationJobRepository,
    LogSampleRepository,
    RequestRepository,
    TARevisionRepository,
)
from services.requests.ta_builder import TABuildError
from services.requests.use_cases.deps import RequestsDeps
from services.requests.use_cases.revisions import RevisionUseCases
from services.requests.use_cases.rules import MAX_REASON_LENGTH
from services.requests.use_cases.transitions import TransitionUseCases

log = logging.getLogger(__name__)

S = RequestStatus
MAX_BACKOFF_SECONDS = 60.0


def describe(exc: BaseException) -> str:
    return exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"


def _detail(exc: Exception) -> str:
    return exc.message if isinstance(exc, DomainError) else str(exc)


def reason(text: str) -> str:
    """A failure reason as a request stores it (bounded)."""
    return text[:MAX_REASON_LENGTH]


class GenerationWorker:
    def __init__(
        self,
        deps: RequestsDeps,
        validation: ValidationClient,
        knowledge: KnowledgeClient,
        subject: str,
    ) -> None:
        self.deps = deps
        self.validation = validation
        self.knowledge = knowledge
        self.principal = Principal(subject, "service")
        self.transitions = TransitionUseCases(deps)
        self.revisions = RevisionUseCases(deps)

    @property
    def lease_seconds(self) -> float:
        return self.deps.settings.generation_lease_seconds

    async def run_forever(self) -> None:
        """Work while jobs are due; wake up when an attempt starts here or every poll."""
        settings = self.deps.settings
        await drain_forever(
            "generation worker", self.run_once, self.deps.jobs_due, settings.generation_poll_seconds
        )

    async def run_once(self) -> bool:
        """Claim one due job and work on it; False when no job was due."""
        async with self.deps.db.unit_of_work() as session:
            job = await GenerationJobRepository(session).claim(self.lease_seconds)
        if job is None:
            return False
        await self.work(job)
        return True

    async def work(self, job: GenerationJob) -> None:
        """Advance one claimed job under its correlation id, as the service identity."""
        token = set_call(
            CallContext(correlation_id=job.correlation_id or uuid.uuid4(), principal=self.principal)
        )
        keeper = asyncio.create_task(self._keep_lease(job.id), name=f"lease-{job.id}")
        try:
            await self.advance(job)
        except asyncio.CancelledError:  # the service stops: the next worker needs no lease wait
            with contextlib.suppress(Exception):
                await self._release(job.id, "the worker stopped before the job was done", 0.0)
            raise
        except Exception as exc:
            if not isinstance(exc, DomainError):
                log.exception("generation job %s (request %s) broke", job.id, job.request_id)
            await self._retry_or_fail(job, exc)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            reset_call(token)

    async def advance(self, job: GenerationJob) -> None:
        while True:
            job, request = await self._load(job.id)
            if request is None or not _is_current(job, request):
                await self.finish(job)
                return
            if request.status == S.APPROVED:
                await self.start_generation(request)
            elif request.status == S.GENERATING_TA:
                await self.generate_revision(job, request)
            else:
                await self.queue_validation(job, request)
                return

    async def start_generation(self, request: Request) -> None:
        await self.transitions.start_generation(request.id)

    async def generate_revision(self, job: GenerationJob, request: Request) -> None:
        """Build the attempt's TA and store it (the request goes to VALIDATING with it); a
        refused sample fails the request instead."""
        async with self.deps.db.read_only() as session:
            samples = await LogSampleRepository(session).get_by_request(request.id)
        if not samples:
            await self.transitions.fail(request.id, "the request has no log samples left")
            return
        try:
            with timed_stage("generate"):
                knowledge = await consult(self.knowledge, request.source_system)
                generated = await generate(
                    self.deps.storage, request, samples, knowledge, job.attempt
                )
        except (TABuildError, NotFound) as exc:
            await self.transitions.fail(
                request.id, reason(f"the TA could not be generated: {_detail(exc)}")
            )
            return
        await self.revisions.store_generated(
            request.id,
            job.attempt,
            generated.package,
            generated.config_summary,
            generated.generation_metadata,
        )

    async def queue_validation(self, job: GenerationJob, request: Request) -> None:
        revision_id = job.ta_revision_id
        if revision_id is None:
            async with self.deps.db.read_only() as session:
                found = await TARevisionRepository(session).get_for_attempt(request.id, job.attempt)
            if found is None:
                raise NotFound("ta_revision", f"{request.id} attempt {job.attempt}")
            revision_id = found.id
        with timed_stage("queue_validation"):
            run_id = await self.validation.queue(request.id, revision_id)
        await self.finish(job, validation_run_id=run_id)

    async def finish(self, job: GenerationJob, **values: object) -> None:
        async with self.deps.db.unit_of_work() as session:
            await GenerationJobRepository(session).finish(job.id, **values)

    async def _load(self, job_id: uuid.UUID) -> tuple[GenerationJob, Request | None]:
        async with self.deps.db.read_only() as session:
            job = await GenerationJobRepository(session).get_by_id(job_id)
            if job is None:  # its request was deleted (cascade)
                raise NotFound("generation_job", job_id)
            return job, await RequestRepository(session).get_by_id(job.request_id)

    async def _retry_or_fail(self, job: GenerationJob, exc: Exception) -> None:
        error = describe(exc)
        settings = self.deps.settings
        try:
            current, request = await self._load(job.id)
            if (
                current.tries >= settings.generation_max_tries
                and request is not None
                and _is_current(current, request)
                and request.status != S.APPROVED
            ):
                await self.transitions.fail(
                    request.id, reason(f"gave up after {current.tries} tries: {error}")
                )
                await self.finish(current, last_error=error)
                return
            delay = min(
                MAX_BACKOFF_SECONDS,
                settings.generation_retry_seconds * 2 ** max(0, current.tries - 1),
            )
            await self._release(job.id, error, delay)
            log.warning("generation job %s: %s (retry in %.1f s)", job.id, error, delay)
        except Exception:
            log.exception("generation job %s stays leased until its lease expires", job.id)

    async def _release(self, job_id: uuid.UUID, error: str, delay: float) -> None:
        async with self.deps.db.unit_of_work() as session:
            await GenerationJobRepository(session).release(job_id, error, delay)

    async def _keep_lease(self, job_id: uuid.UUID) -> None:
        """Renew the lease while the job is worked on (a dead worker stops renewing)."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                async with self.deps.db.unit_of_work() as session:
                    if not await GenerationJobRepository(session).renew(job_id, self.lease_seconds):
                        return
            except Exception:
                log.exception("lease of generation job %s not renewed", job_id)


def _is_current(job: GenerationJob, request: Request) -> bool:
    """The job's attempt is the request's and its pipeline is under way."""
    return request.attempt == job.attempt and request.status in lifecycle.IN_PIPELINE
