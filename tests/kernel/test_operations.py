"""The shared bootstrap as an operator sees it: health that follows the database, the metrics
port of a service, unexpected errors logged with their method and request id, the log format,
pipeline stage timings, and the traceparent that service-to-service calls carry."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator

import asyncpg
import grpc
import httpx
import pytest
import sqlalchemy as sa
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tagen.identity.v1 import identity_pb2 as pb
from tagen.identity.v1 import identity_pb2_grpc as pb_grpc

from services.kernel.access import PUBLIC
from services.kernel.db import Database
from services.kernel.interceptor import CORRELATION_HEADER
from services.kernel.logs import configure_logging
from services.kernel.metrics import label_values, timed_stage
from services.kernel.outbound import service_call_metadata
from services.kernel.server import GrpcService, ServerOptions, ServiceDefinition
from services.kernel.tracing import tracer
from tests.conftest import bearer
from tests.database import scratch_database
from tests.observability import captured_logs, metric_value, preserved_logging, span_exporter

BOOM = "/tagen.test.v1.Boom/Explode"


async def wait_until(probe: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await probe():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def bare_definition(context: str, add: Callable[[grpc.aio.Server], None]) -> ServiceDefinition:
    return ServiceDefinition(
        context=context, service_names=[], access={BOOM: PUBLIC}, add_to_server=add
    )


def exploding(server: grpc.aio.Server) -> None:
    async def explode(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        raise RuntimeError("a bug")

    handler = grpc.unary_unary_rpc_method_handler(explode)
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("tagen.test.v1.Boom", {"Explode": handler})]
    )


@pytest.fixture
def scratch_url(database_url: str) -> Iterator[str]:
    with scratch_database(database_url) as url:
        yield url


async def test_health_follows_the_database(settings, database_url, scratch_url) -> None:
    name = sa.make_url(scratch_url).database
    admin = sa.make_url(database_url).set(drivername="postgresql")
    db = Database.from_settings(settings, url=scratch_url, name="healthtest")
    service = GrpcService(
        bare_definition("healthtest", exploding),
        None,  # type: ignore[arg-type]  # no call reaches authentication
        "127.0.0.1",
        0,
        database=db,
        options=ServerOptions(health_interval=0.1),
    )
    await service.start()

    async def set_connections(allowed: bool) -> None:
        conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
        try:
            await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {allowed}')
            if not allowed:
                await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                )
        finally:
            await conn.close()

    try:
        async with grpc.aio.insecure_channel(service.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)

            def status_is(wanted: int) -> Callable[[], Awaitable[bool]]:
                async def probe() -> bool:
                    reply = await health.Check(health_pb2.HealthCheckRequest(service=""))
                    return bool(reply.status == wanted)

                return probe

            serving = health_pb2.HealthCheckResponse.SERVING
            await wait_until(status_is(serving))
            await set_connections(False)
            await wait_until(status_is(health_pb2.HealthCheckResponse.NOT_SERVING))
            await set_connections(True)
            await wait_until(status_is(serving))
    finally:
        await set_connections(True)
        await service.stop(0)
        await db.dispose()


async def test_an_unexpected_error_is_logged_with_method_and_request_id(settings) -> None:
    service = GrpcService(bare_definition("boomtest", exploding), None, "127.0.0.1", 0)  # type: ignore[arg-type]
    await service.start()
    request_id = str(uuid.uuid4())
    try:
        with captured_logs() as logs:
            async with grpc.aio.insecure_channel(service.address) as channel:
                call = channel.unary_unary(BOOM)
                try:
                    await call(b"", metadata=((CORRELATION_HEADER, request_id),))
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.INTERNAL
                else:
                    raise AssertionError("the call should fail")
        lines = logs.with_request_id(request_id)
        error = next(line for line in lines if line["event"] == "unexpected error")
        assert error["level"] == "error" and error["method"] == BOOM.lstrip("/")
        assert error["service"] == "boomtest" and "RuntimeError: a bug" in error["exception"]
        access = next(line for line in lines if line["event"] == "rpc")
        assert access["code"] == "INTERNAL" and access["level"] == "warning"
    finally:
        await service.stop(0)


async def test_a_service_serves_its_metrics_on_its_own_port(runtime, tokens) -> None:
    service = runtime.create_service("identity", port=0, metrics_port=0)
    await service.start()
    try:
        assert service.metrics_port
        caller = tokens.caller()
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = pb_grpc.IdentityServiceStub(channel)
            try:
                request = pb.GetUserRequest(user_id=str(caller.user_id))
                await stub.GetUser(request, metadata=caller.md)
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.NOT_FOUND
        async with httpx.AsyncClient() as http:
            page = (await http.get(f"http://127.0.0.1:{service.metrics_port}/metrics")).text
        method = "tagen.identity.v1.IdentityService/GetUser"
        labels = {"service": "identity", "method": method, "code": "NOT_FOUND"}
        assert metric_value(page, "tagen_rpc_requests_total", **labels) >= 1
        assert metric_value(page, "tagen_health_serving", service="identity") == 1
        assert "tagen_db_pool_in_use" in page
    finally:
        await service.stop(0)


async def test_service_calls_carry_the_current_trace(runtime) -> None:
    span_exporter()
    identity = runtime.service_identity("validation")
    assert not any(k == "traceparent" for k, _ in service_call_metadata(identity))
    with tracer().start_as_current_span("work") as span:
        metadata = dict(service_call_metadata(identity))
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert metadata["traceparent"].split("-")[1] == trace_id
    assert bearer(identity.token())[0][0] == "authorization" and "authorization" in metadata


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_the_console_format_unless_json_is_asked(monkeypatch) -> None:
    with preserved_logging():
        monkeypatch.delenv("LOG_FORMAT", raising=False)
        for env, is_json in ((None, False), ("json", True)):
            if env:
                monkeypatch.setenv("LOG_FORMAT", env)
            out = Terminal()
            configure_logging(stream=out)
            logging.getLogger("tagen.test").warning("disk %s", "full")
            line = out.getvalue().strip()
            assert "disk full" in line
            assert line.startswith("{") is is_json


def test_pipeline_stages_are_timed_by_outcome() -> None:
    def count(outcome: str) -> float:
        return sum(
            label_values("tagen_pipeline_stage_duration_seconds_count", stage="t", outcome=outcome)
        )

    ok, error = count("ok"), count("error")
    with timed_stage("t"):
        pass
    with contextlib.suppress(ValueError), timed_stage("t"):
        raise ValueError("stage failed")
    assert (count("ok"), count("error")) == (ok + 1, error + 1)
