"""The one way every service starts: gRPC aio server, interceptor, health, reflection,
graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from services.kernel.access import Access
from services.kernel.interceptor import CallInterceptor
from services.kernel.revocation import RevocationFeed
from services.kernel.tokens import TokenVerifier

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 8 * 1024 * 1024


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


class GrpcService:
    """A started server for one context; `port` is the bound port (0 asks for a free one)."""

    def __init__(
        self,
        definition: ServiceDefinition,
        verifier: TokenVerifier,
        host: str,
        port: int,
        revocation_feed: RevocationFeed | None = None,
    ) -> None:
        self.definition = definition
        self.revocation_feed = revocation_feed
        self.health = HealthServicer()
        self.server = grpc.aio.server(
            interceptors=[CallInterceptor(verifier, definition.access)],
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
            ],
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

    async def start(self) -> None:
        for hook in self.definition.on_start:
            await hook()
        await self.server.start()
        if self.revocation_feed is not None:
            await self.revocation_feed.acquire()
        for job in self.definition.background:
            self._tasks.append(asyncio.create_task(job(), name=f"{self.definition.context}-bg"))
        for name in ["", *self.definition.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("%s serving on %s", self.definition.context, self.address)

    async def stop(self, grace: float = 5.0) -> None:
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


async def wait_for_shutdown_signal() -> None:
    """Returns on SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
