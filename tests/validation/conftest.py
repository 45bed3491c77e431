"""Validation fixtures: a real RequestService and ValidationService on ephemeral ports over
the test database and one local object store, the callers of the permission matrix, and
helpers that put requests, revisions and runs in any state.

The session's validation service is paused (MAX_PARALLEL_VALIDATIONS = 0): the RPC tests
queue runs that nothing executes. Runner tests start their own services."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest
from sqlalchemy import delete, select
from tagen.requests.v1 import requests_pb2_grpc as requests_grpc
from tagen.validation.v1 import validation_pb2_grpc as pb_grpc

from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.server import GrpcService
from services.kernel.settings import Settings
from services.kernel.tokens import KeyMaterial
from services.requests.enums import TARevisionType
from services.requests.models import TARevision
from services.requests.repositories import TARevisionRepository
from services.validation import app
from services.validation.enums import ValidationStatus
from services.validation.models import AuditOutbox, ValidationRun, VerdictOutbox
from tests.requests.conftest import Cast, empty_requests_schema
from tests.requests.conftest import start_service as start_requests_service

NOWHERE = "127.0.0.1:9"  # nothing listens: config falls back to env, the relay keeps events


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: runs splunk-appinspect (a few seconds)")


@pytest.fixture(scope="session")
def validation_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("validation-data"),
            "storage_backend": "local",
            "storage_bucket": "tagen-validation-test",
            "identity_address": NOWHERE,
            "audit_address": NOWHERE,
            "max_parallel_validations": 0,
            "validation_poll_seconds": 0.05,
            "validation_run_appinspect": False,
            "generation_worker_enabled": False,  # runs are queued by the tests here
        }
    )


@pytest.fixture(scope="session")
async def requests_service(
    validation_settings: Settings, keys: KeyMaterial
) -> AsyncIterator[GrpcService]:
    service = await start_requests_service(Runtime.from_keys(validation_settings, keys))
    yield service
    await service.stop(0)


def validation_runtime(
    settings: Settings, keys: KeyMaterial, requests: GrpcService | str, **changes: Any
) -> Runtime:
    address = requests if isinstance(requests, str) else requests.address
    return Runtime.from_keys(
        settings.model_copy(update={"requests_address": address, **changes}), keys
    )


async def start_validation_service(runtime: Runtime) -> GrpcService:
    db = Database.from_settings(runtime.settings)
    service = GrpcService(app.build(runtime, db), runtime.verifier, "127.0.0.1", 0)
    await service.start()
    return service


@pytest.fixture(scope="session")
async def paused_service(
    validation_settings: Settings, keys: KeyMaterial, requests_service: GrpcService
) -> AsyncIterator[GrpcService]:
    runtime = validation_runtime(validation_settings, keys, requests_service)
    service = await start_validation_service(runtime)
    yield service
    await service.stop(0)


async def empty_validation_schema(db: Database) -> None:
    async with db.unit_of_work() as session:
        await session.execute(delete(AuditOutbox))
        await session.execute(delete(VerdictOutbox))
        await session.execute(delete(ValidationRun))


@pytest.fixture
async def clean(database: Database) -> Database:
    await empty_validation_schema(database)
    await empty_requests_schema(database)
    return database


@pytest.fixture
def cast(tokens: Any) -> Cast:
    return Cast(tokens)


@pytest.fixture
async def rpc(
    paused_service: GrpcService, clean: Database
) -> AsyncIterator[pb_grpc.ValidationServiceStub]:
    async with grpc.aio.insecure_channel(paused_service.address) as channel:
        yield pb_grpc.ValidationServiceStub(channel)


@pytest.fixture
async def requests_rpc(
    requests_service: GrpcService,
) -> AsyncIterator[requests_grpc.RequestServiceStub]:
    async with grpc.aio.insecure_channel(requests_service.address) as channel:
        yield requests_grpc.RequestServiceStub(channel)


async def make_revision(db: Database, request_id: uuid.UUID, version: int = 1) -> TARevision:
    """A revision row of the request (its object is never read by these tests)."""
    async with db.unit_of_work() as session:
        return await TARevisionRepository(session).create(
            {
                "request_id": request_id,
                "version": version,
                "storage_key": f"revisions/{request_id}/{uuid.uuid4()}",
                "storage_bucket": "tagen-validation-test",
                "generated_by": TARevisionType.AUTO,
                "file_size": 1,
                "checksum": "0" * 64,
            }
        )


async def make_run(
    db: Database,
    request_id: uuid.UUID | None = None,
    status: ValidationStatus = ValidationStatus.QUEUED,
    **values: Any,
) -> ValidationRun:
    """A run straight in the database, in any status."""
    async with db.unit_of_work() as session:
        run = ValidationRun(
            request_id=request_id or uuid.uuid4(),
            ta_revision_id=values.pop("ta_revision_id", uuid.uuid4()),
            status=status,
            **values,
        )
        session.add(run)
        await session.flush()
        return run


async def load_run(db: Database, run_id: uuid.UUID | str) -> ValidationRun:
    async with db.read_only() as session:
        run = await session.get(ValidationRun, uuid.UUID(str(run_id)))
        assert run is not None
        return run


async def outbox(db: Database) -> list[AuditOutbox]:
    async with db.read_only() as session:
        return list((await session.scalars(select(AuditOutbox).order_by(AuditOutbox.seq))).all())


async def wait_for(
    check: Callable[[], Awaitable[Any]], *, within: float = 20.0, interval: float = 0.05
) -> Any:
    """Poll `check` until it returns something truthy (its value), or fail after `within` s."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"condition not met within {within} s (last value {value!r})")
        await asyncio.sleep(interval)
