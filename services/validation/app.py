"""Wiring of the validation context: its service definition for the shared bootstrap."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from tagen.validation.v1 import validation_pb2 as pb
from tagen.validation.v1 import validation_pb2_grpc as pb_grpc

from services.kernel.db import Database
from services.kernel.errors import Unavailable
from services.kernel.health import storage_check
from services.kernel.outbox_relay import OutboxRelay
from services.kernel.runtime import Runtime
from services.kernel.runtime_config import RuntimeConfig
from services.kernel.server import ServiceDefinition
from services.kernel.storage import ObjectStorage, create_storage
from services.validation.access import ACCESS
from services.validation.models import AuditOutbox
from services.validation.queue_metrics import QueueGauges
from services.validation.requests_client import RequestsClient
from services.validation.runner import ValidationRunner
from services.validation.servicer import ValidationServicer
from services.validation.use_cases.deps import ValidationDeps
from services.validation.use_cases.runs import ValidationUseCases
from services.validation.verdict_relay import VerdictRelay

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ValidationService"].full_name
log = logging.getLogger(__name__)


def build_deps(
    runtime: Runtime, db: Database, storage: ObjectStorage | None = None
) -> ValidationDeps:
    """The use cases' dependencies: storage from the settings unless one is given."""
    settings = runtime.settings
    identity = runtime.service_identity("validation")
    config = RuntimeConfig(settings.address_of("identity"), identity)
    requests = RequestsClient(settings.address_of("requests"), identity)
    return ValidationDeps.build(db, settings, storage or create_storage(settings), config, requests)


def build(
    runtime: Runtime, db: Database, storage: ObjectStorage | None = None
) -> ServiceDefinition:
    deps = build_deps(runtime, db, storage)
    servicer = ValidationServicer(ValidationUseCases(deps))
    runner = ValidationRunner(deps)
    verdicts = VerdictRelay(deps)
    relay = OutboxRelay.for_context(runtime, "validation", db, AuditOutbox)

    async def prepare_storage() -> None:
        try:
            await deps.storage.start()
        except Unavailable as exc:  # debug bundles are not stored until storage is back
            log.warning("object storage not ready at start-up: %s", exc.message)

    async def close() -> None:
        await runner.stop()
        await relay.close()
        await deps.requests.close()
        await deps.config.close()
        await deps.storage.close()
        await db.dispose()

    return ServiceDefinition(
        context="validation",
        service_names=[SERVICE_NAME],
        access=ACCESS,
        add_to_server=lambda server: pb_grpc.add_ValidationServiceServicer_to_server(
            servicer, server
        ),
        on_start=[prepare_storage],
        on_stop=[close],
        background=[
            *background_jobs(runtime, runner),
            verdicts.run,
            relay.run,
            QueueGauges(db).run_forever,
        ],
        health_checks=[storage_check(deps.storage)],
    )


def background_jobs(
    runtime: Runtime, runner: ValidationRunner
) -> list[Callable[[], Awaitable[None]]]:
    """The runner runs unless VALIDATION_MODE is "api" (pods that only answer the API)."""
    return [] if runtime.settings.validation_mode == "api" else [runner.run_forever]
