"""End to end with the identity service: its relay ships what its use cases record, and the
events carry the gateway's correlation id, client IP and user agent, across services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from sqlalchemy import select
from tagen.audit.v1 import audit_pb2 as pb
from tagen.identity.v1 import identity_pb2 as identity_pb
from tagen.identity.v1 import identity_pb2_grpc as identity_grpc

from services.audit.models import AuditLog
from services.identity.use_cases.deps import IdentityDeps
from services.kernel.call_context import CallContext, reset_call, set_call
from services.kernel.db import Database
from services.kernel.enums import AuditAction, UserRoleEnum
from services.kernel.outbound import service_call_metadata
from services.kernel.runtime import Runtime
from services.kernel.settings import Settings
from services.kernel.tokens import KeyMaterial
from tests.audit.conftest import AuditServer, eventually
from tests.conftest import TokenFactory
from tests.identity.conftest import People


@pytest.fixture(scope="module")
async def identity_runtime(
    settings: Settings, keys: KeyMaterial, audit_server: AuditServer
) -> Runtime:
    wired = settings.model_copy(
        update={"audit_address": audit_server.address, "audit_relay_poll_seconds": 0.02}
    )
    return Runtime.from_keys(wired, keys)


@pytest.fixture(scope="module")
async def identity(identity_runtime: Runtime) -> AsyncIterator[identity_grpc.IdentityServiceStub]:
    service = identity_runtime.create_service("identity", port=0)
    await service.start()
    try:
        async with grpc.aio.insecure_channel(service.address) as channel:
            yield identity_grpc.IdentityServiceStub(channel)
    finally:
        await service.stop(0)


@pytest.fixture
def people(database: Database, runtime: Runtime, tokens: TokenFactory) -> People:
    assert runtime.keys.private_pem is not None
    return People(IdentityDeps.build(database, runtime.settings, runtime.keys.private_pem), tokens)


async def _logs_of_call(db: Database, correlation_id: str) -> list[AuditLog]:
    async with db.read_only() as session:
        query = select(AuditLog).where(AuditLog.correlation_id == uuid.UUID(correlation_id))
        return list((await session.scalars(query)).all())


async def test_a_login_is_audited_with_the_gateway_call_details(
    identity, people, database, audit, as_admin
):
    username = f"u{uuid.uuid4().hex[:10]}"
    user_id = await people.add(username, UserRoleEnum.REQUESTOR)
    call = str(uuid.uuid4())
    await identity.Login(
        identity_pb.LoginRequest(username=username, password="correct-horse-1"),
        metadata=(
            ("x-request-id", call),
            ("x-client-ip", "203.0.113.9"),
            ("x-client-user-agent", "Firefox/130.0"),
        ),
    )

    async def arrived() -> bool:
        return len(await _logs_of_call(database, call)) == 1

    await eventually(arrived, within=5)
    (log,) = await _logs_of_call(database, call)
    assert log.action == AuditAction.LOGIN and log.entity_type == "user"
    assert log.user_id == user_id and log.entity_id == user_id
    assert log.ip_address == "203.0.113.9" and log.user_agent == "Firefox/130.0"
    assert log.details == {"success": True}

    listed = await audit.ListAuditLogs(
        pb.ListAuditLogsRequest(correlation_id=call), metadata=as_admin
    )
    assert [entry.id for entry in listed.audit_logs] == [str(log.id)]


async def test_a_call_between_services_keeps_the_correlation_id(
    identity, identity_runtime, database
):
    call = uuid.uuid4()
    token = set_call(CallContext(correlation_id=call, user_agent="Safari/18", ip_address="::1"))
    try:
        metadata = service_call_metadata(identity_runtime.service_identity("requests"))
    finally:
        reset_call(token)
    external = uuid.uuid4().hex
    reply = await identity.ProvisionSsoUser(
        identity_pb.ProvisionSsoUserRequest(
            auth_provider="oidc",
            external_id=external,
            username=f"sso{external[:10]}",
            email=f"{external[:10]}@example.com",
        ),
        metadata=metadata,
    )
    assert reply.created

    async def arrived() -> bool:
        return len(await _logs_of_call(database, str(call))) == 1

    await eventually(arrived, within=5)
    (log,) = await _logs_of_call(database, str(call))
    assert log.action == AuditAction.CREATE and log.entity_id == uuid.UUID(reply.user.id)
    assert log.user_agent == "Safari/18" and log.ip_address == "::1"


async def test_the_relay_batch_links_to_the_trace_of_the_call_that_made_the_change(
    identity, people, database
):
    from opentelemetry.sdk.trace import ReadableSpan

    from services.kernel.tracing import inject, tracer
    from tests.observability import span_exporter, spans_named

    spans = span_exporter()
    username = f"u{uuid.uuid4().hex[:10]}"
    await people.add(username, UserRoleEnum.REQUESTOR)
    call = str(uuid.uuid4())
    with tracer().start_as_current_span("client") as client:
        metadata = inject((("x-request-id", call),))
    await identity.Login(
        identity_pb.LoginRequest(username=username, password="correct-horse-1"),
        metadata=metadata,
    )
    trace_id = client.get_span_context().trace_id

    def linked_batches() -> list[ReadableSpan]:
        return [
            batch
            for batch in spans_named(spans, "audit relay batch")
            if any(link.context.trace_id == trace_id for link in batch.links)
        ]

    async def shipped() -> bool:
        return bool(linked_batches())

    await eventually(shipped, within=5)
    (login,) = spans_named(spans, "IdentityService/Login")
    assert login.context.trace_id == trace_id
    (batch,) = linked_batches()
    assert batch.context.trace_id != trace_id  # a trace of its own, linked, not a child
    (link,) = [link for link in batch.links if link.context.trace_id == trace_id]
    assert link.context.span_id == login.context.span_id
