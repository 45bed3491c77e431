"""ValidationRunRepository: the seed's validation queries, the guarded status changes and the
claim of queued runs under the concurrency limit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, extract, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.kernel.errors import InvalidArgument
from services.kernel.repository import BaseRepository, check_page
from services.validation.enums import FINISHED, ValidationStatus
from services.validation.models import ValidationRun

S = ValidationStatus

#: The transaction-level advisory lock that serializes claims across every worker and
#: replica: counting RUNNING runs and taking queued ones must be one step, or two claimers
#: could both see room for the last slot.
CLAIM_LOCK_KEY = 0x7A6E_7661_6C69  # "validation" claims

ContainerName = Callable[[uuid.UUID], str]

#: The predicate of the partial unique index uq_validation_runs_active_revision.
ACTIVE_PREDICATE = text("status IN ('QUEUED', 'RUNNING')")


def _duration_since_start() -> ColumnElement[Any]:
    """Whole seconds from started_at to now (0 when the run never started)."""
    elapsed = extract("epoch", func.now() - func.coalesce(ValidationRun.started_at, func.now()))
    return func.greatest(0, cast(func.round(elapsed), Integer))


def _finished(message: str) -> dict[str, Any]:
    """The columns of a run that ends FAILED without a check result."""
    return {
        "status": S.FAILED,
        "error_message": message,
        "completed_at": func.now(),
        "duration_seconds": _duration_since_start(),
        "lease_expires_at": None,
    }


class ValidationRunRepository(BaseRepository[ValidationRun]):
    model = ValidationRun

    async def get_by_request(
        self,
        request_id: uuid.UUID,
        skip: int = 0,
        limit: int = 100,
        *,
        status: ValidationStatus | None = None,
    ) -> list[ValidationRun]:
        """The request's runs, newest first (index (request_id, created_at))."""
        check_page(skip, limit)
        stmt = select(ValidationRun).where(ValidationRun.request_id == request_id)
        if status is not None:
            stmt = stmt.where(ValidationRun.status == status)
        stmt = (
            stmt.order_by(ValidationRun.created_at.desc(), ValidationRun.id.desc())
            .offset(skip)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def get_failed_validations(self, request_id: uuid.UUID) -> list[ValidationRun]:
        """The request's FAILED runs, newest first."""
        return await self.get_by_request(request_id, 0, 1000, status=S.FAILED)

    async def get_running_count(self) -> int:
        """How many runs are RUNNING right now (the concurrency limit counts these)."""
        return await self.count({"status": S.RUNNING})

    async def get_latest_for_revision(self, ta_revision_id: uuid.UUID) -> ValidationRun | None:
        """The newest run of a TA revision, whatever its status."""
        return await self.session.scalar(
            select(ValidationRun)
            .where(ValidationRun.ta_revision_id == ta_revision_id)
            .order_by(ValidationRun.created_at.desc(), ValidationRun.id.desc())
            .limit(1)
        )

    async def queue_once(self, values: dict[str, Any]) -> tuple[ValidationRun, bool]:
        """A new QUEUED run of the revision, or the run of it already QUEUED or RUNNING
        (the partial unique index on ta_revision_id decides, even between replicas);
        (run, created)."""
        stmt = (
            insert(ValidationRun)
            .values(id=uuid.uuid4(), status=S.QUEUED, **values)
            .on_conflict_do_nothing(
                index_elements=["ta_revision_id"],
                index_where=ACTIVE_PREDICATE,
            )
            .returning(ValidationRun)
            .execution_options(populate_existing=True)
        )
        created = (await self.session.scalars(stmt)).one_or_none()
        if created is not None:
            return created, True
        active = await self.session.scalar(
            select(ValidationRun).where(
                ValidationRun.ta_revision_id == values["ta_revision_id"],
                ValidationRun.status.in_([S.QUEUED, S.RUNNING]),
            )
        )
        if active is None:  # it finished between the two statements: queue anew
            return await self.queue_once(values)
        return active, False

    async def start_validation(
        self, validation_id: uuid.UUID, container_id: str, *, lease_seconds: float = 1800.0
    ) -> ValidationRun | None:
        """QUEUED -> RUNNING with started_at, the container, one more attempt and a lease;
        None when the run does not exist or is not QUEUED (someone else started it first:
        nothing is written then)."""
        stmt = (
            update(ValidationRun)
            .where(ValidationRun.id == validation_id, ValidationRun.status == S.QUEUED)
            .values(
                status=S.RUNNING,
                started_at=func.now(),
                splunk_container_id=container_id,
                attempts=ValidationRun.attempts + 1,
                lease_expires_at=func.now() + timedelta(seconds=lease_seconds),
            )
            .returning(ValidationRun)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def renew_leases(self, run_ids: list[uuid.UUID], lease_seconds: float) -> set[uuid.UUID]:
        """Extend the leases of these runs while they are RUNNING; the ids still RUNNING (a
        run missing from the answer was cancelled or failed meanwhile)."""
        if not run_ids:
            return set()
        stmt = (
            update(ValidationRun)
            .where(ValidationRun.id.in_(run_ids), ValidationRun.status == S.RUNNING)
            .values(lease_expires_at=func.now() + timedelta(seconds=lease_seconds))
            .returning(ValidationRun.id)
        )
        return set((await self.session.scalars(stmt)).all())

    async def recover_expired(
        self, max_attempts: int, message: str
    ) -> tuple[list[ValidationRun], list[ValidationRun]]:
        """RUNNING runs whose lease expired (their worker died): back to QUEUED while they
        have attempts left, else FAILED with `message`; (requeued, failed)."""
        expired = (ValidationRun.status == S.RUNNING, ValidationRun.lease_expires_at < func.now())
        requeued = await self.session.scalars(
            update(ValidationRun)
            .where(*expired, ValidationRun.attempts < max_attempts)
            .values(
                status=S.QUEUED, started_at=None, splunk_container_id=None, lease_expires_at=None
            )
            .returning(ValidationRun)
            .execution_options(populate_existing=True)
        )
        back = list(requeued.all())
        failed = await self.session.scalars(
            update(ValidationRun)
            .where(*expired, ValidationRun.attempts >= max_attempts)
            .values(**_finished(message))
            .returning(ValidationRun)
            .execution_options(populate_existing=True)
        )
        return back, list(failed.all())

    async def cancel(self, validation_id: uuid.UUID, message: str) -> ValidationRun | None:
        """QUEUED or RUNNING -> FAILED with `message`; None when the run already finished."""
        stmt = (
            update(ValidationRun)
            .where(
                ValidationRun.id == validation_id,
                ValidationRun.status.in_([S.QUEUED, S.RUNNING]),
            )
            .values(**_finished(message))
            .returning(ValidationRun)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def complete_validation(
        self,
        validation_id: uuid.UUID,
        status: ValidationStatus,
        results: dict[str, Any] | None,
        debug_bundle_key: str | None = None,
        *,
        debug_bundle_bucket: str | None = None,
        validation_logs: str | None = None,
        error_message: str | None = None,
    ) -> ValidationRun | None:
        """RUNNING -> PASSED or FAILED with the results, completed_at and duration_seconds
        (computed by the database from started_at). None when the run is not RUNNING (it
        finished already, e.g. failed as stale): nothing is written then."""
        if status not in FINISHED:
            raise InvalidArgument("status", "a run completes as PASSED or FAILED")
        stmt = (
            update(ValidationRun)
            .where(ValidationRun.id == validation_id, ValidationRun.status == S.RUNNING)
            .values(
                status=status,
                results_json=results,
                debug_bundle_key=debug_bundle_key,
                debug_bundle_bucket=debug_bundle_bucket if debug_bundle_key else None,
                validation_logs=validation_logs,
                error_message=error_message,
                completed_at=func.now(),
                duration_seconds=_duration_since_start(),
                lease_expires_at=None,
            )
            .returning(ValidationRun)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def claim_queued(
        self,
        max_running: int,
        container_name: ContainerName,
        *,
        lease_seconds: float = 1800.0,
        at_most: int | None = None,
    ) -> list[ValidationRun]:
        """Start the oldest QUEUED runs while fewer than `max_running` are RUNNING, and at most
        `at_most` of them (the claiming worker's free slots) when given.

        The claim holds a transaction-level advisory lock, so concurrent claimers (threads,
        processes, replicas) take turns and never exceed the limit together; the queued rows
        are read with FOR UPDATE SKIP LOCKED, so a run locked by anyone else is never taken.
        The caller's transaction must commit for the claim to count."""
        if max_running <= 0:
            return []
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY}
        )
        room = max_running - await self.get_running_count()
        if at_most is not None:
            room = min(room, at_most)
        if room <= 0:
            return []
        ids = (
            await self.session.scalars(
                select(ValidationRun.id)
                .where(ValidationRun.status == S.QUEUED)
                .order_by(ValidationRun.created_at, ValidationRun.id)
                .limit(room)
                .with_for_update(skip_locked=True)
            )
        ).all()
        claimed = []
        for run_id in ids:
            run = await self.start_validation(
                run_id, container_name(run_id), lease_seconds=lease_seconds
            )
            if run is not None:
                claimed.append(run)
        return claimed

    async def fail_stale(self, started_before: datetime, message: str) -> list[ValidationRun]:
        """FAIL every run RUNNING since before `started_before` (its worker died or hung),
        with `message` as the error; returns the runs failed."""
        stmt = (
            update(ValidationRun)
            .where(ValidationRun.status == S.RUNNING, ValidationRun.started_at < started_before)
            .values(**_finished(message))
            .returning(ValidationRun)
            .execution_options(populate_existing=True)
        )
        return list((await self.session.scalars(stmt)).all())

    async def requeue(self, validation_id: uuid.UUID) -> bool:
        """RUNNING -> QUEUED (a worker stopping before it finished hands the run back)."""
        result = await self.session.execute(
            update(ValidationRun)
            .where(ValidationRun.id == validation_id, ValidationRun.status == S.RUNNING)
            .values(
                status=S.QUEUED, started_at=None, splunk_container_id=None, lease_expires_at=None
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
