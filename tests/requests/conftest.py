"""Requests fixtures: real RequestService servers on ephemeral ports (local-directory and S3
storage), a moto S3 server over HTTP, and helpers to put requests in any state."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import delete, select
from tagen.requests.v1 import requests_pb2_grpc as pb_grpc

from services.kernel.db import Database
from services.kernel.enums import UserRoleEnum
from services.kernel.runtime import Runtime
from services.kernel.server import GrpcService
from services.kernel.settings import Settings
from services.kernel.storage import LocalStorage, ObjectStorage
from services.kernel.tokens import KeyMaterial
from services.requests import app
from services.requests.enums import RequestStatus
from services.requests.models import AuditOutbox, Request
from services.requests.repositories import RequestRepository
from services.requests.use_cases.deps import RequestsDeps
from tests.conftest import Caller, TokenFactory
from tests.kernel.s3_server import moto_storage, shared_moto_endpoint

SMALL_LIMIT = 256 * 1024


@pytest.fixture(scope="session")
def requests_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("requests-data"),
            "storage_backend": "local",
            "storage_bucket": "tagen-test",
            "max_sample_size_bytes": SMALL_LIMIT,
            "max_ta_size_bytes": SMALL_LIMIT,
            "sample_retention_days": 30,
            "sample_retention_interval_seconds": 3600.0,
            "identity_address": "127.0.0.1:9",  # nothing listens: config falls back to env
            # No generation worker: these tests drive the transitions themselves (the pipeline
            # tests start services with workers).
            "generation_worker_enabled": False,
            "validation_address": "127.0.0.1:9",
            "knowledge_address": "127.0.0.1:9",
        }
    )


@pytest.fixture(scope="session")
def requests_runtime(requests_settings: Settings, keys: KeyMaterial) -> Runtime:
    return Runtime.from_keys(requests_settings, keys)


async def start_service(runtime: Runtime, storage: ObjectStorage | None = None) -> GrpcService:
    db = Database.from_settings(runtime.settings)
    definition = app.build(runtime, db, storage)
    service = GrpcService(definition, runtime.verifier, "127.0.0.1", 0)
    await service.start()
    return service


@pytest.fixture(scope="session")
async def requests_service(requests_runtime: Runtime) -> AsyncIterator[GrpcService]:
    service = await start_service(requests_runtime)
    yield service
    await service.stop(0)


@pytest.fixture(scope="session")
def moto_endpoint() -> str:
    return shared_moto_endpoint()


@pytest.fixture(scope="session")
async def s3_service(requests_runtime: Runtime, moto_endpoint: str) -> AsyncIterator[GrpcService]:
    storage = moto_storage("tagen-s3-service", moto_endpoint)
    service = await start_service(requests_runtime, storage)
    yield service
    await service.stop(0)


@pytest.fixture(scope="session")
async def broken_storage_service(requests_runtime: Runtime) -> AsyncIterator[GrpcService]:
    """A service whose S3 endpoint refuses connections."""
    storage = moto_storage("tagen-broken", "http://127.0.0.1:9", max_attempts=1, connect_timeout=1)
    service = await start_service(requests_runtime, storage)
    yield service
    await service.stop(0)


async def empty_requests_schema(db: Database) -> None:
    """Remove every row of the requests context (DELETE: much faster than TRUNCATE here)."""
    async with db.unit_of_work() as session:
        await session.execute(delete(AuditOutbox))
        await session.execute(delete(Request))  # samples and revisions cascade


@pytest.fixture
async def clean(database: Database) -> Database:
    await empty_requests_schema(database)
    return database


async def _stub(service: GrpcService) -> AsyncIterator[pb_grpc.RequestServiceStub]:
    async with grpc.aio.insecure_channel(service.address) as channel:
        yield pb_grpc.RequestServiceStub(channel)


@pytest.fixture
async def rpc(
    requests_service: GrpcService, clean: Database
) -> AsyncIterator[pb_grpc.RequestServiceStub]:
    async for stub in _stub(requests_service):
        yield stub


@pytest.fixture
async def s3_rpc(
    s3_service: GrpcService, clean: Database
) -> AsyncIterator[pb_grpc.RequestServiceStub]:
    async for stub in _stub(s3_service):
        yield stub


@pytest.fixture
async def broken_rpc(
    broken_storage_service: GrpcService, clean: Database
) -> AsyncIterator[pb_grpc.RequestServiceStub]:
    async for stub in _stub(broken_storage_service):
        yield stub


@pytest.fixture
def objects_root(requests_settings: Settings) -> Path:
    return requests_settings.data_dir / "objects" / requests_settings.storage_bucket


@pytest.fixture
def deps(requests_runtime: Runtime, database: Database, tmp_path: Path) -> RequestsDeps:
    """Use-case dependencies over the test database and a fresh local store."""
    storage = LocalStorage(tmp_path / "objects", "tagen-deps")
    return app.build_deps(requests_runtime, database, storage)


class Cast:
    """The callers of the permission matrix and the usual tests."""

    def __init__(self, tokens: TokenFactory) -> None:
        self.tokens = tokens
        self.owner = self.user(UserRoleEnum.REQUESTOR)
        self.other = self.user(UserRoleEnum.REQUESTOR)
        self.approver = self.user(UserRoleEnum.APPROVER)
        self.approver2 = self.user(UserRoleEnum.APPROVER)
        self.admin = self.user(UserRoleEnum.ADMIN)
        self.km = self.user(UserRoleEnum.KNOWLEDGE_MANAGER)
        self.service = tokens.service_caller("validation")
        self.nobody = Caller(None, None)

    def user(self, *roles: UserRoleEnum) -> Caller:
        return self.tokens.caller(*roles)


@pytest.fixture
def cast(tokens: TokenFactory) -> Cast:
    return Cast(tokens)


async def make_request(
    db: Database,
    owner: uuid.UUID,
    status: RequestStatus = RequestStatus.NEW,
    **values: object,
) -> Request:
    """A request straight in the database, in any status."""
    async with db.unit_of_work() as session:
        return await RequestRepository(session).create(
            {
                "created_by": owner,
                "status": status,
                "source_system": values.pop("source_system", "Apache"),
                "description": values.pop("description", "access logs"),
                **values,
            }
        )


async def force_status(db: Database, request_id: uuid.UUID, status: RequestStatus) -> None:
    """Put a request in `status` straight in the database (no transition, no job)."""
    async with db.unit_of_work() as session:
        await RequestRepository(session).update(request_id, {"status": status})


async def status_of(db: Database, request_id: uuid.UUID) -> RequestStatus:
    async with db.read_only() as session:
        request = await RequestRepository(session).get_by_id(request_id)
        assert request is not None
        return request.status


async def audit_events(db: Database, entity_id: uuid.UUID | str | None = None) -> list[AuditOutbox]:
    """The requests outbox, in commit order (optionally of one entity)."""
    async with db.read_only() as session:
        stmt = select(AuditOutbox).order_by(AuditOutbox.seq)
        if entity_id is not None:
            stmt = stmt.where(AuditOutbox.entity_id == uuid.UUID(str(entity_id)))
        return list((await session.scalars(stmt)).all())
