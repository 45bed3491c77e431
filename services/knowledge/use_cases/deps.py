"""What the knowledge use cases and the indexer need, built once per process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from services.kernel.db import Database
from services.kernel.outbox import AuditRecorder
from services.kernel.settings import Settings
from services.kernel.storage import ObjectStorage
from services.knowledge.models import AuditOutbox


@dataclass(frozen=True)
class KnowledgeDeps:
    db: Database
    settings: Settings
    storage: ObjectStorage
    audit: AuditRecorder
    #: Set after an upload commits: the indexer of this process starts at once.
    index_wakeup: asyncio.Event

    @classmethod
    def build(cls, db: Database, settings: Settings, storage: ObjectStorage) -> KnowledgeDeps:
        return cls(db, settings, storage, AuditRecorder(AuditOutbox), asyncio.Event())
