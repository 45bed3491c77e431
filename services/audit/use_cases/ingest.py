"""Storing the events that services ship from their outboxes."""

from __future__ import annotations

from dataclasses import dataclass

from services.audit.event_batch import EventBatch
from services.audit.repositories import AuditLogRepository
from services.kernel.db import Database


@dataclass(frozen=True)
class IngestResult:
    recorded: int
    """Events stored by this batch."""
    duplicates: int
    """Events already stored before (redelivered); left as they were."""


class IngestUseCases:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record_events(self, batch: EventBatch) -> IngestResult:
        """Store a checked batch at once; an event id already stored is skipped."""
        if not len(batch):
            return IngestResult(0, 0)
        async with self.db.unit_of_work() as session:
            recorded = await AuditLogRepository(session).insert_events(batch)
        return IngestResult(recorded, len(batch) - recorded)
