"""The one way every service starts: gRPC aio server, interceptors (telemetry, then
correlation id + auth + errors), health that follows the database, reflection, a Prometheus
metrics port, graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from services.kernel.access import Access
from services.kernel.db import Database
from services.kernel.handlers import ChainedInterceptor
from services.kernel.health import HealthCheck, HealthMonitor, database_check
from services.kernel.interceptor import CallInterceptor
from services.kernel.logs import log_scope
from services.kernel.metrics import MetricsServer
from services.kernel.revocation import RevocationFeed
from services.kernel.telemetry import TelemetryInterceptor
from services.kernel.tokens import TokenVerifier

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 8 * 1024 * 1024

#: Client channel option: spread calls over every address the target resolves to (with a
#: `dns:///<headless service>:<port>` target, every ready pod) instead of the first one.
ROUND_ROBIN = ("grpc.lb_policy_name", "round_robin")


@dataclass
class ServiceDefinition:
    """What a context contributes to its server."""

    context: str
    service_names: Sequence[str]
    access: Mapping[str, Access]
    add_to_server: Callable[[grpc.aio.Server], None]
    on_start: Sequence[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: Sequence[Callable[[], Awaitable[None]]] = field(default_factory=list)
    background: Sequence[Callable[[], Awaitable[None]]] = field(default_factory=list)
    health_checks: Sequence[HealthCheck] = field(default_factory=list)
    """Dependencies besides the database (object storage) that health follows."""


@dataclass(frozen=True)
class ServerOptions:
    """How a service serves besides its port."""

    metrics_port: int | None = None
    """Prometheus endpoint: None = none, 0 = a free port (tests)."""
    health_interval: float = 5.0
    """Seconds between two checks of the database (and storage)."""
    max_connection_age: float = 0.0
    """Seconds after which a client connection is asked to reconnect (0 = never), so clients
    behind a ClusterIP spread over new replicas."""

    def grpc_options(self) -> list[tuple[str, int]]:
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ]
        if self.max_connection_age > 0:
            age_ms = int(self.max_connection_age * 1000)
            options += [
                ("grpc.max_connection_age_ms", age_ms),
                ("grpc.max_connection_age_grace_ms", max(age_ms // 10, 5000)),
            ]
        return options


class GrpcService:
    """A started server for one context; `port` is the bound port (0 asks for a free one).
    With `database`, its health follows that database (and the definition's other checks)."""

    def __init__(
        self,
        definition: ServiceDefinition,
        verifier: TokenVerifier,
        host: str,
        port: int,
        *,
        database: Database | None = None,
        options: ServerOptions | None = None,
        revocation_feed: RevocationFeed | None = None,
    ) -> None:
        self.definition = definition
        self.options = options or ServerOptions()
        self.host = host
        self.revocation_feed = revocation_feed
        self.health = HealthServicer()
        checks = [*([database_check(database)] if database else []), *definition.health_checks]
        self.monitor = HealthMonitor(
            definition.context,
            self.health,
            definition.service_names,
            checks,
            self.options.health_interval,
        )
        self.metrics: MetricsServer | None = None
        self.server = grpc.aio.server(
            interceptors=[
                ChainedInterceptor(
                    TelemetryInterceptor(definition.context),
                    CallInterceptor(verifier, definition.access),
                )
            ],
            options=self.options.grpc_options(),
        )
        definition.add_to_server(self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [
                *definition.service_names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            self.server,
        )
        self.port = self.server.add_insecure_port(f"{host}:{port}")
        if self.port == 0:
            raise OSError(f"cannot listen on {host}:{port}")
        self.address = f"{host}:{self.port}"
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def metrics_port(self) -> int | None:
        return self.metrics.port if self.metrics else None

    async def start(self) -> None:
        context = self.definition.context
        with log_scope(context):
            for hook in self.definition.on_start:
                await hook()
            await self.monitor.check_once()  # the first probe already sees the dependencies
            await self.server.start()
            if self.revocation_feed is not None:
                await self.revocation_feed.acquire()
            if self.options.metrics_port is not None:
                self.metrics = MetricsServer.acquire(self.host, self.options.metrics_port)
            for job in [*self.definition.background, self.monitor.run]:
                self._tasks.append(asyncio.create_task(job(), name=f"{context}-bg"))
            log.info(
                "%s serving on %s%s",
                context,
                self.address,
                f" (metrics on port {self.metrics.port})" if self.metrics else "",
            )

    async def stop(self, grace: float = 5.0) -> None:
        with log_scope(self.definition.context):
            await self.health.enter_graceful_shutdown()
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.server.stop(grace)
            if self.revocation_feed is not None:
                await self.revocation_feed.release()
            for hook in self.definition.on_stop:
                await hook()
            if self.metrics is not None:
                self.metrics.release()
                self.metrics = None


@contextlib.asynccontextmanager
async def shutdown_signals() -> AsyncIterator[asyncio.Event]:
    """An event set by SIGTERM or SIGINT. The handlers stay installed until the block ends, so
    a second signal during the clean stop that follows (a second Ctrl-C, SIGINT to the whole
    process group) cannot break the stop off with KeyboardInterrupt half-way."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def wait_for_shutdown_signal() -> None:
    """Returns on SIGTERM or SIGINT."""
    async with shutdown_signals() as stop:
        await stop.wait()
