"""Sample retention: soft-delete log samples past retention_until and delete their objects.

Runs when SAMPLE_RETENTION_ENABLED is true in system config (the environment value is the
fallback): on a schedule inside the service and on demand (`tagen cleanup-samples`). Safe to
run twice or from several replicas at once: rows are claimed with FOR UPDATE SKIP LOCKED and
only live samples are selected.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from services.kernel.enums import AuditAction
from services.requests.repositories import LogSampleRepository
from services.requests.use_cases.deps import RequestsDeps

log = logging.getLogger(__name__)

CONFIG_KEY = "SAMPLE_RETENTION_ENABLED"
BATCH_SIZE = 200


@dataclass(frozen=True)
class RetentionRun:
    enabled: bool
    deleted: int


class SampleRetention:
    def __init__(self, deps: RequestsDeps, *, batch_size: int = BATCH_SIZE) -> None:
        self.deps = deps
        self.batch_size = batch_size

    async def enabled(self) -> bool:
        fallback = self.deps.settings.sample_retention_enabled
        return await self.deps.config.get_bool(CONFIG_KEY, fallback)

    async def run_once(self, now: datetime | None = None) -> RetentionRun:
        """Delete every sample whose retention ended at `now` (default: the current time)."""
        if not await self.enabled():
            return RetentionRun(enabled=False, deleted=0)
        cutoff = now or datetime.now(UTC)
        deleted = 0
        while True:
            batch = await self._delete_batch(cutoff)
            deleted += batch
            if batch < self.batch_size:
                break
        if deleted:
            log.info("sample retention deleted %d samples", deleted)
        return RetentionRun(enabled=True, deleted=deleted)

    async def _delete_batch(self, cutoff: datetime) -> int:
        """One transaction: claim due rows, mark them deleted, delete their objects, commit.
        A storage failure rolls the batch back, so every live row still has its object."""
        async with self.deps.db.unit_of_work() as session:
            samples = LogSampleRepository(session)
            due = await samples.get_samples_for_cleanup(cutoff, self.batch_size, lock=True)
            for sample in due:
                await samples.mark_as_deleted(sample.id)
                self.deps.audit.record(
                    session,
                    AuditAction.DELETE,
                    "log_sample",
                    sample.id,
                    {
                        "request_id": str(sample.request_id),
                        "reason": "retention",
                        "retention_until": sample.retention_until.isoformat()
                        if sample.retention_until
                        else None,
                    },
                )
            await session.flush()
            for sample in due:
                await self.deps.storage.delete(sample.storage_key, bucket=sample.storage_bucket)
            return len(due)

    async def run_forever(self) -> None:
        """The in-service schedule: run, then wait the configured interval; errors are logged."""
        interval = self.deps.settings.sample_retention_interval_seconds
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sample retention run failed; retrying in %.0f s", interval)
            await asyncio.sleep(interval)
