"""GenerationJobRepository: the durable jobs of pipeline attempts, claimed by any number of
workers with FOR UPDATE SKIP LOCKED and held by an expiring lease."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update

from services.kernel.repository import BaseRepository
from services.requests.models import GenerationJob

J = GenerationJob


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


class GenerationJobRepository(BaseRepository[GenerationJob]):
    model = GenerationJob

    async def open(
        self,
        request_id: uuid.UUID,
        attempt: int,
        correlation_id: uuid.UUID | None,
        ta_revision_id: uuid.UUID | None = None,
    ) -> GenerationJob:
        """The job of a new attempt, due at once (written with the move that starts it)."""
        return await self.create(
            {
                "request_id": request_id,
                "attempt": attempt,
                "correlation_id": correlation_id,
                "ta_revision_id": ta_revision_id,
            }
        )

    async def for_attempt(self, request_id: uuid.UUID, attempt: int) -> GenerationJob | None:
        return (
            await self.session.scalars(
                select(J).where(J.request_id == request_id, J.attempt == attempt)
            )
        ).one_or_none()

    async def claim(self, lease_seconds: float) -> GenerationJob | None:
        """Take the oldest due job nobody holds (no lease, or an expired one: its worker
        died) and lease it; the caller's transaction must commit for the claim to count."""
        now = func.now()
        found = (
            await self.session.scalars(
                select(J.id)
                .where(
                    J.finished_at.is_(None),
                    J.available_at <= now,
                    or_(J.lease_expires_at.is_(None), J.lease_expires_at < now),
                )
                .order_by(J.available_at, J.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).one_or_none()
        if found is None:
            return None
        return await self._set(
            found, lease_expires_at=now + _seconds(lease_seconds), tries=J.tries + 1
        )

    async def renew(self, job_id: uuid.UUID, lease_seconds: float) -> bool:
        """Extend the lease of a job still being worked on; False once it is finished."""
        renewed = await self._set(
            job_id, lease_expires_at=func.now() + _seconds(lease_seconds), only_open=True
        )
        return renewed is not None

    async def release(self, job_id: uuid.UUID, error: str, delay_seconds: float) -> None:
        """Give the job back after a failed try: due again after `delay_seconds`."""
        await self._set(
            job_id,
            lease_expires_at=None,
            available_at=func.now() + _seconds(delay_seconds),
            last_error=error,
            only_open=True,
        )

    async def finish(self, job_id: uuid.UUID, **values: Any) -> GenerationJob | None:
        """Mark the job done (with `values`, e.g. the validation run id)."""
        return await self._set(
            job_id, finished_at=func.now(), lease_expires_at=None, only_open=True, **values
        )

    async def set_revision(self, job_id: uuid.UUID, revision_id: uuid.UUID) -> None:
        await self._set(job_id, ta_revision_id=revision_id)

    async def _set(
        self, job_id: uuid.UUID, *, only_open: bool = False, **values: Any
    ) -> GenerationJob | None:
        stmt = update(J).where(J.id == job_id)
        if only_open:
            stmt = stmt.where(J.finished_at.is_(None))
        stmt = stmt.values(**values).returning(J).execution_options(populate_existing=True)
        return (await self.session.scalars(stmt)).one_or_none()
