"""TARevisionRepository: versions of a request's TA bundle."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from services.kernel.repository import BaseRepository
from services.requests.models import TARevision


class TARevisionRepository(BaseRepository[TARevision]):
    model = TARevision

    async def get_latest_revision(self, request_id: uuid.UUID) -> TARevision | None:
        """The highest version of the request, or None."""
        stmt = (
            select(TARevision)
            .where(TARevision.request_id == request_id)
            .order_by(TARevision.version.desc())
            .limit(1)
        )
        return await self.session.scalar(stmt)

    async def get_next_version(self, request_id: uuid.UUID) -> int:
        """One more than the highest version (1 for the first revision).

        Two transactions computing this at once would get the same number: callers lock the
        request row first (RequestRepository.lock), which serializes them."""
        stmt = select(func.coalesce(func.max(TARevision.version), 0)).where(
            TARevision.request_id == request_id
        )
        return int(await self.session.scalar(stmt) or 0) + 1

    async def get_revision_history(self, request_id: uuid.UUID) -> list[TARevision]:
        """Every revision of the request, newest first."""
        stmt = (
            select(TARevision)
            .where(TARevision.request_id == request_id)
            .order_by(TARevision.version.desc())
        )
        return list((await self.session.scalars(stmt)).all())

    async def get_by_version(self, request_id: uuid.UUID, version: int) -> TARevision | None:
        return await self.session.scalar(
            select(TARevision).where(
                TARevision.request_id == request_id, TARevision.version == version
            )
        )

    async def get_for_attempt(self, request_id: uuid.UUID, attempt: int) -> TARevision | None:
        """The revision of one pipeline attempt (at most one: unique (request_id, attempt))."""
        return await self.session.scalar(
            select(TARevision).where(
                TARevision.request_id == request_id, TARevision.attempt == attempt
            )
        )
