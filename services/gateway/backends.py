"""One gRPC channel per backend context, and their health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.kernel.server import MAX_MESSAGE_BYTES, ROUND_ROBIN
from services.kernel.settings import Settings

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 1.0

CHANNEL_OPTIONS: tuple[tuple[str, int | str], ...] = (
    ROUND_ROBIN,
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    # A backend that restarts is used again within a second or two, not after
    # gRPC's default backoff of up to two minutes.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.keepalive_time_ms", 30000),
    ("grpc.keepalive_timeout_ms", 5000),
)


def backend_addresses(
    settings: Settings, contexts: Iterable[str], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Where each context listens: an override, else `<context>_address` / `_port`.

    A context without a setting (and no override) is left out with a warning.
    """
    found: dict[str, str] = {}
    for context in sorted(set(contexts)):
        address = (overrides or {}).get(context)
        if address is None:
            try:
                address = settings.address_of(context)
            except AttributeError:
                log.warning("no address setting for the %s service; its routes are off", context)
                continue
        found[context] = address
    return found


@dataclass
class Backends:
    """The channels of the gateway, by context."""

    channels: dict[str, grpc.aio.Channel]
    addresses: dict[str, str]

    @classmethod
    def connect(cls, addresses: Mapping[str, str]) -> Backends:
        channels = {
            context: grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
            for context, address in addresses.items()
        }
        return cls(channels, dict(addresses))

    async def health(self) -> dict[str, str]:
        """Each backend's grpc.health.v1 status name, or UNAVAILABLE when it does not answer."""

        async def check(context: str, channel: grpc.aio.Channel) -> tuple[str, str]:
            stub = health_pb2_grpc.HealthStub(channel)
            try:
                reply = await stub.Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=HEALTH_TIMEOUT_SECONDS
                )
            except grpc.aio.AioRpcError as exc:
                return context, exc.code().name
            return context, health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

        results = await asyncio.gather(*(check(c, ch) for c, ch in self.channels.items()))
        return dict(sorted(results))

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
