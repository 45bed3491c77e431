"""What the requests use cases need, built once per process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from services.kernel.db import Database
from services.kernel.outbox import AuditRecorder
from services.kernel.runtime_config import RuntimeConfig
from services.kernel.settings import Settings
from services.kernel.storage import ObjectStorage
from services.requests.models import AuditOutbox


@dataclass(frozen=True)
class RequestsDeps:
    db: Database
    settings: Settings
    storage: ObjectStorage
    config: RuntimeConfig
    audit: AuditRecorder
    jobs_due: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a pipeline attempt starts here: the generation worker looks at once."""

    @classmethod
    def build(
        cls, db: Database, settings: Settings, storage: ObjectStorage, config: RuntimeConfig
    ) -> RequestsDeps:
        return cls(db, settings, storage, config, AuditRecorder(AuditOutbox))
