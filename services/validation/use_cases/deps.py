"""What the validation use cases and the runner need, built once per process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from services.kernel.db import Database
from services.kernel.outbox import AuditRecorder
from services.kernel.runtime_config import RuntimeConfig
from services.kernel.settings import Settings
from services.kernel.storage import ObjectStorage
from services.validation.models import AuditOutbox
from services.validation.requests_client import RequestsClient


@dataclass(frozen=True)
class ValidationDeps:
    db: Database
    settings: Settings
    storage: ObjectStorage
    config: RuntimeConfig
    requests: RequestsClient
    audit: AuditRecorder
    queued: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a run is queued or a slot frees up: the runner looks at once."""
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a run finished here: its verdict is delivered at once."""

    @classmethod
    def build(
        cls,
        db: Database,
        settings: Settings,
        storage: ObjectStorage,
        config: RuntimeConfig,
        requests: RequestsClient,
    ) -> ValidationDeps:
        return cls(db, settings, storage, config, requests, AuditRecorder(AuditOutbox))
