"""VerdictRepository: the outcomes of finished runs waiting to reach the requests service.

A verdict is added in the same transaction that finishes its run, so a run is finished if
and only if its verdict is on its way; deliverers of any replica take rows with
FOR UPDATE SKIP LOCKED and remove them once the requests service acknowledged them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.validation.enums import ValidationStatus
from services.validation.models import ValidationRun, VerdictOutbox

V = VerdictOutbox


class VerdictRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add_for(self, run: ValidationRun) -> None:
        """The verdict of a run that just finished (PASSED or FAILED)."""
        self.session.add(
            VerdictOutbox(
                id=uuid.uuid4(),
                run_id=run.id,
                request_id=run.request_id,
                ta_revision_id=run.ta_revision_id,
                passed=run.status == ValidationStatus.PASSED,
                message=run.error_message,
                correlation_id=run.correlation_id,
            )
        )

    async def take_due(self) -> VerdictOutbox | None:
        """The oldest due verdict nobody else is delivering, locked until commit."""
        return await self.session.scalar(
            select(V)
            .where(V.available_at <= func.now())
            .order_by(V.created_at, V.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )

    async def delivered(self, verdict_id: uuid.UUID) -> None:
        await self.session.execute(delete(V).where(V.id == verdict_id))

    async def postpone(self, verdict_id: uuid.UUID, delay_seconds: float) -> None:
        await self.session.execute(
            update(V)
            .where(V.id == verdict_id)
            .values(tries=V.tries + 1, available_at=func.now() + timedelta(seconds=delay_seconds))
        )
