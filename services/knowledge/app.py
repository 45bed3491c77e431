"""Wiring of the knowledge context: its service definition for the shared bootstrap."""

from __future__ import annotations

import logging

from tagen.knowledge.v1 import knowledge_pb2 as pb
from tagen.knowledge.v1 import knowledge_pb2_grpc as pb_grpc

from services.kernel.db import Database
from services.kernel.errors import Unavailable
from services.kernel.health import storage_check
from services.kernel.outbox_relay import OutboxRelay
from services.kernel.runtime import Runtime
from services.kernel.server import ServiceDefinition
from services.kernel.storage import ObjectStorage, create_storage
from services.knowledge.access import ACCESS
from services.knowledge.indexing import DocumentIndexer
from services.knowledge.models import AuditOutbox
from services.knowledge.servicer import KnowledgeServicer
from services.knowledge.use_cases.deps import KnowledgeDeps
from services.knowledge.use_cases.documents import DocumentUseCases
from services.knowledge.use_cases.search import SearchUseCases

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["KnowledgeService"].full_name
log = logging.getLogger(__name__)


def build_deps(
    runtime: Runtime, db: Database, storage: ObjectStorage | None = None
) -> KnowledgeDeps:
    """The use cases' dependencies: storage from the settings unless one is given."""
    settings = runtime.settings
    return KnowledgeDeps.build(db, settings, storage or create_storage(settings))


def build(
    runtime: Runtime, db: Database, storage: ObjectStorage | None = None
) -> ServiceDefinition:
    deps = build_deps(runtime, db, storage)
    servicer = KnowledgeServicer(DocumentUseCases(deps), SearchUseCases(deps))
    relay = OutboxRelay.for_context(runtime, "knowledge", db, AuditOutbox)
    background = [relay.run]
    if runtime.settings.knowledge_indexer_enabled:
        background.append(DocumentIndexer(deps).run_forever)

    async def prepare_storage() -> None:
        try:
            await deps.storage.start()
        except Unavailable as exc:  # uploads answer UNAVAILABLE until storage is back
            log.warning("object storage not ready at start-up: %s", exc.message)

    async def close() -> None:
        await relay.close()
        await deps.storage.close()
        await db.dispose()

    return ServiceDefinition(
        context="knowledge",
        service_names=[SERVICE_NAME],
        access=ACCESS,
        add_to_server=lambda server: pb_grpc.add_KnowledgeServiceServicer_to_server(
            servicer, server
        ),
        on_start=[prepare_storage],
        on_stop=[close],
        health_checks=[storage_check(deps.storage)],
        background=background,
    )
