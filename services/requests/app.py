"""Wiring of the requests context: its service definition for the shared bootstrap."""

from __future__ import annotations

import logging

from tagen.requests.v1 import requests_pb2 as pb
from tagen.requests.v1 import requests_pb2_grpc as pb_grpc

from services.kernel.db import Database
from services.kernel.errors import Unavailable
from services.kernel.health import storage_check
from services.kernel.outbox_relay import OutboxRelay
from services.kernel.runtime import Runtime
from services.kernel.runtime_config import RuntimeConfig
from services.kernel.server import ServiceDefinition
from services.kernel.storage import ObjectStorage, create_storage
from services.requests.access import ACCESS
from services.requests.generation.clients import KnowledgeClient, ValidationClient
from services.requests.generation.worker import GenerationWorker
from services.requests.models import AuditOutbox
from services.requests.retention import RetentionRun, SampleRetention
from services.requests.servicer import RequestServicer
from services.requests.use_cases.deps import RequestsDeps
from services.requests.use_cases.requests import RequestUseCases
from services.requests.use_cases.revisions import RevisionUseCases
from services.requests.use_cases.samples import SampleUseCases
from services.requests.use_cases.transitions import TransitionUseCases
from services.requests.use_cases.verdicts import VerdictUseCases

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["RequestService"].full_name
log = logging.getLogger(__name__)


def build_deps(
    runtime: Runtime, db: Database, storage: ObjectStorage | None = None
) -> RequestsDeps:
    """The use cases' dependencies: storage from the settings unless one is given."""
    settings = runtime.settings
    config = RuntimeConfig(settings.address_of("identity"), runtime.service_identity("requests"))
    return RequestsDeps.build(db, settings, storage or create_storage(settings), config)


def build_worker(runtime: Runtime, deps: RequestsDeps) -> GenerationWorker:
    """The generation worker of this process, calling validation and knowledge as the
    requests service identity."""
    identity = runtime.service_identity("requests")
    settings = runtime.settings
    return GenerationWorker(
        deps,
        ValidationClient(settings.address_of("validation"), identity),
        KnowledgeClient(settings.address_of("knowledge"), identity),
        identity.subject,
    )


def build(
    runtime: Runtime, db: Database, storage: ObjectStorage | None = None
) -> ServiceDefinition:
    deps = build_deps(runtime, db, storage)
    servicer = RequestServicer(
        RequestUseCases(deps),
        TransitionUseCases(deps),
        SampleUseCases(deps),
        RevisionUseCases(deps),
        VerdictUseCases(deps),
    )
    retention = SampleRetention(deps)
    relay = OutboxRelay.for_context(runtime, "requests", db, AuditOutbox)
    worker = build_worker(runtime, deps)

    async def prepare_storage() -> None:
        try:
            await deps.storage.start()
        except Unavailable as exc:  # uploads answer UNAVAILABLE until storage is back
            log.warning("object storage not ready at start-up: %s", exc.message)

    async def close() -> None:
        await relay.close()
        await worker.validation.close()
        await worker.knowledge.close()
        await deps.config.close()
        await deps.storage.close()
        await db.dispose()

    return ServiceDefinition(
        context="requests",
        service_names=[SERVICE_NAME],
        access=ACCESS,
        add_to_server=lambda server: pb_grpc.add_RequestServiceServicer_to_server(servicer, server),
        on_start=[prepare_storage],
        on_stop=[close],
        health_checks=[storage_check(deps.storage)],
        background=[
            retention.run_forever,
            relay.run,
            *([worker.run_forever] if runtime.settings.generation_worker_enabled else []),
        ],
    )


async def run_retention_once(runtime: Runtime, database_url: str | None = None) -> RetentionRun:
    """One sample retention run outside the service (the `tagen cleanup-samples` command)."""
    db = Database.from_settings(runtime.settings, url=database_url)
    deps = build_deps(runtime, db)
    try:
        return await SampleRetention(deps).run_once()
    finally:
        await deps.config.close()
        await deps.storage.close()
        await db.dispose()
