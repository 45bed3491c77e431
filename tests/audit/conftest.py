"""Audit fixtures: a real AuditService on an ephemeral port (with the engine it uses), its
stub, and a scratch outbox table for relay tests.

Isolation: audit_logs is append-only even for tests, so tests never delete from it; each test
uses its own fresh entity ids / correlation ids / event ids and looks only at those."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime

import grpc
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import DeclarativeBase
from tagen.audit.v1 import audit_pb2 as pb
from tagen.audit.v1 import audit_pb2_grpc as pb_grpc

from services.audit import app as audit_app
from services.audit.models import AuditLog
from services.kernel.db import Database, init_db
from services.kernel.models import TYPE_ANNOTATION_MAP, context_metadata
from services.kernel.outbox import AuditOutboxMixin
from services.kernel.runtime import Runtime
from services.kernel.server import GrpcService
from services.kernel.settings import Settings
from tests.conftest import TokenFactory, bearer


class ScratchBase(DeclarativeBase):
    metadata = context_metadata("relay_scratch")
    type_annotation_map = TYPE_ANNOTATION_MAP


class ScratchOutbox(AuditOutboxMixin, ScratchBase):
    """An outbox like every context's, owned by the relay tests."""

    __tablename__ = "audit_outbox"


class AuditServer:
    """An AuditService that tests can stop and start again on the same port."""

    def __init__(self, runtime: Runtime, settings: Settings) -> None:
        self.runtime, self.settings = runtime, settings
        self.db: Database | None = None
        self.service: GrpcService | None = None
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.db = Database.from_settings(self.settings)
        definition = audit_app.build(self.runtime, self.db)
        self.service = GrpcService(definition, self.runtime.verifier, "127.0.0.1", self.port)
        self.port = self.service.port
        await self.service.start()

    async def stop(self) -> None:
        if self.service is not None:
            await self.service.stop(0)
            self.service = None


@pytest.fixture(scope="module")
async def audit_server(runtime: Runtime, settings: Settings) -> AsyncIterator[AuditServer]:
    server = AuditServer(runtime, settings)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def audit_db(audit_server: AuditServer) -> Database:
    """The engine the running audit service itself uses (acting as the writer role)."""
    assert audit_server.db is not None
    return audit_server.db


@pytest.fixture
async def audit(audit_server: AuditServer) -> AsyncIterator[pb_grpc.AuditServiceStub]:
    async with grpc.aio.insecure_channel(audit_server.address) as channel:
        yield pb_grpc.AuditServiceStub(channel)


@pytest.fixture
def as_service(tokens: TokenFactory) -> tuple[tuple[str, str], ...]:
    return bearer(tokens.service("requests"))


@pytest.fixture
def as_admin(tokens: TokenFactory) -> tuple[tuple[str, str], ...]:
    from services.kernel.enums import UserRoleEnum

    return bearer(tokens.user(uuid.uuid4(), UserRoleEnum.ADMIN, username="root"))


@pytest.fixture(scope="session")
async def scratch_outbox(database: Database) -> AsyncIterator[type[ScratchOutbox]]:
    await init_db(database.engine, ScratchBase.metadata)
    yield ScratchOutbox
    async with database.engine.begin() as conn:
        await conn.execute(text('DROP SCHEMA "relay_scratch" CASCADE'))


@pytest.fixture
async def outbox(scratch_outbox: type[ScratchOutbox], database: Database) -> type[ScratchOutbox]:
    async with database.engine.begin() as conn:
        await conn.execute(text('TRUNCATE "relay_scratch"."audit_outbox"'))
    return scratch_outbox


def event(
    *,
    event_id: str | None = None,
    action: int = pb.UPDATE,
    entity_type: str = "request",
    entity_id: str | None = None,
    details_json: str = '{"status": "APPROVED"}',
    correlation_id: str = "",
    user_id: str = "",
    occurred_at: datetime | None = None,
) -> pb.AuditEvent:
    message = pb.AuditEvent(
        event_id=event_id if event_id is not None else str(uuid.uuid4()),
        action=action,  # type: ignore[arg-type]
        entity_type=entity_type,
        entity_id=entity_id if entity_id is not None else str(uuid.uuid4()),
        details_json=details_json,
        correlation_id=correlation_id,
        user_id=user_id,
        ip_address="10.0.0.7",
        user_agent="pytest",
    )
    message.occurred_at.FromDatetime(occurred_at or datetime.now(UTC))
    return message


async def stored(db: Database, ids: Iterable[uuid.UUID | str]) -> int:
    """How many of these event ids audit_logs holds."""
    wanted = [uuid.UUID(str(i)) for i in ids]
    async with db.read_only() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.id.in_(wanted))
            )
            or 0
        )


async def eventually(
    check: Callable[[], Awaitable[bool]], within: float = 10.0, interval: float = 0.02
) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
