"""System configuration overrides environment settings at run time.

The rows live in identity's system_config; a service reads them with the identity
`ResolveConfig` RPC under its own service identity, caches each value for a few seconds, and
falls back to the value from the environment when no row exists or identity cannot be reached.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from tagen.identity.v1 import identity_pb2, identity_pb2_grpc

from services.kernel.config_keys import KNOWN_KEYS
from services.kernel.settings import Settings
from services.kernel.tokens import ServiceIdentity

log = logging.getLogger(__name__)

T = TypeVar("T")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
DEFAULT_TTL_SECONDS = 5.0
RPC_TIMEOUT_SECONDS = 2.0


def parse_bool(raw: str) -> bool:
    """A configured boolean (true/false, 1/0, yes/no, on/off); ValueError otherwise."""
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not a boolean")


def parse_as(raw: str, value_type: str, fallback: T) -> T:
    """The configured text as the fallback's type (ValueError when it does not parse)."""
    if isinstance(fallback, bool):
        return parse_bool(raw)  # type: ignore[return-value]
    if isinstance(fallback, int):
        return int(raw.strip())  # type: ignore[return-value]
    if isinstance(fallback, float):
        return float(raw.strip())  # type: ignore[return-value]
    if isinstance(fallback, str) and value_type not in ("json", "list"):
        return raw  # type: ignore[return-value]
    return json.loads(raw)  # type: ignore[no-any-return]


@dataclass
class _Cached:
    entry: identity_pb2.ConfigEntry | None
    expires: float


class RuntimeConfig:
    """Reads system_config through identity, with the environment as the fallback."""

    def __init__(
        self,
        identity_address: str,
        service_identity: ServiceIdentity,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address = identity_address
        self.identity = service_identity
        self.ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._channel: grpc.aio.Channel | None = None

    def _stub(self) -> identity_pb2_grpc.IdentityServiceStub:
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(self.address)
        return identity_pb2_grpc.IdentityServiceStub(self._channel)

    async def get(self, key: str, fallback: T) -> T:
        """The value of `key` from system_config, else `fallback` (the environment's value)."""
        entry = await self._entry(key)
        if entry is None:
            return fallback
        try:
            return parse_as(entry.value, entry.value_type, fallback)
        except (ValueError, json.JSONDecodeError):
            log.warning("system config %s=%r does not parse; using %r", key, entry.value, fallback)
            return fallback

    async def setting(self, key: str, settings: Settings) -> Any:
        """A known key (services/kernel/config_keys.py): its row, else its environment value."""
        return await self.get(key, KNOWN_KEYS[key].default(settings))

    async def get_bool(self, key: str, fallback: bool) -> bool:
        return bool(await self.get(key, fallback))

    def invalidate(self, key: str | None = None) -> None:
        """Forget cached values (all of them when no key is named)."""
        if key is None:
            self._cache.clear()
        else:
            self._cache.pop(key, None)

    async def _entry(self, key: str) -> identity_pb2.ConfigEntry | None:
        cached = self._cache.get(key)
        if cached is not None and cached.expires > self._clock():
            return cached.entry
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._cache.get(key)
            if cached is not None and cached.expires > self._clock():
                return cached.entry
            try:
                entry = await self._fetch(key)
            except grpc.aio.AioRpcError as exc:
                stale = cached.entry if cached is not None else None
                log.warning(
                    "identity config unavailable (%s); %s for %s",
                    exc.code().name,
                    "keeping the last value" if stale is not None else "using the environment",
                    key,
                )
                entry = stale
            self._cache[key] = _Cached(entry, self._clock() + self.ttl)
            return entry

    async def _fetch(self, key: str) -> identity_pb2.ConfigEntry | None:
        reply = await self._stub().ResolveConfig(
            identity_pb2.ResolveConfigRequest(keys=[key]),
            metadata=self.identity.metadata(),
            timeout=RPC_TIMEOUT_SECONDS,
        )
        for entry in reply.entries:
            if entry.key == key:
                return entry
        return None

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
