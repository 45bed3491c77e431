"""LogSampleRepository: live samples of a request, retention candidates, soft delete."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update

from services.kernel.repository import BaseRepository
from services.requests.models import LogSample


class LogSampleRepository(BaseRepository[LogSample]):
    model = LogSample

    async def get_by_request(self, request_id: uuid.UUID) -> list[LogSample]:
        """The request's samples that are not deleted, oldest first."""
        stmt = (
            select(LogSample)
            .where(LogSample.request_id == request_id, LogSample.deleted_at.is_(None))
            .order_by(LogSample.created_at, LogSample.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def get_live(self, sample_id: uuid.UUID, *, for_update: bool = False) -> LogSample | None:
        """The sample unless it is deleted; optionally with its row locked."""
        stmt = select(LogSample).where(LogSample.id == sample_id, LogSample.deleted_at.is_(None))
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def get_samples_for_cleanup(
        self, cutoff: datetime, limit: int = 500, *, lock: bool = False
    ) -> list[LogSample]:
        """Live samples whose retention_until is at or before `cutoff`, oldest first.

        With `lock`, the rows are locked and rows another cleanup holds are skipped, so
        concurrent jobs never work on the same sample."""
        stmt = (
            select(LogSample)
            .where(LogSample.deleted_at.is_(None), LogSample.retention_until <= cutoff)
            .order_by(LogSample.retention_until, LogSample.id)
            .limit(limit)
        )
        if lock:
            stmt = stmt.with_for_update(skip_locked=True)
        return list((await self.session.scalars(stmt)).all())

    async def mark_as_deleted(self, sample_id: uuid.UUID) -> bool:
        """Soft delete; False when the sample does not exist or was deleted already."""
        result = await self.session.execute(
            update(LogSample)
            .where(LogSample.id == sample_id, LogSample.deleted_at.is_(None))
            .values(deleted_at=datetime.now(UTC))
            .execution_options(synchronize_session="fetch")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
