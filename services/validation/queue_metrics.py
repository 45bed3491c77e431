"""Read-only metrics of the validation queue, measured from the database (so every replica
reports the platform-wide picture, whichever replica executed a run): runs by status
(QUEUED is the queue depth) and the durations of runs that finished since the last look."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import sqlalchemy as sa

from services.kernel.db import Database
from services.kernel.metrics import VALIDATION_RUN_SECONDS, VALIDATION_RUNS
from services.validation.enums import ValidationStatus
from services.validation.models import ValidationRun

log = logging.getLogger(__name__)


class QueueGauges:
    """Refreshes tagen_validation_runs and tagen_validation_run_duration_seconds."""

    def __init__(self, db: Database, interval: float = 15.0) -> None:
        self.db = db
        self.interval = interval
        self.since = datetime.now(UTC)

    async def measure_once(self) -> None:
        by_status = sa.select(ValidationRun.status, sa.func.count()).group_by(ValidationRun.status)
        finished = sa.select(
            ValidationRun.status, ValidationRun.duration_seconds, ValidationRun.completed_at
        ).where(ValidationRun.completed_at > self.since)
        async with self.db.read_only() as session:
            counts = {status: count for status, count in (await session.execute(by_status)).all()}
            done = (await session.execute(finished)).all()
        for status in ValidationStatus:
            VALIDATION_RUNS.labels(status.value).set(counts.get(status, 0))
        for status, seconds, completed_at in done:
            if seconds is not None:
                VALIDATION_RUN_SECONDS.labels(str(status)).observe(seconds)
            if completed_at is not None and completed_at > self.since:
                self.since = completed_at

    async def run_forever(self) -> None:
        while True:
            try:
                await self.measure_once()
            except Exception as exc:  # the database is down: health reports it
                log.debug("validation queue metrics not measured: %s", exc)
            await asyncio.sleep(self.interval)
