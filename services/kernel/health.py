"""gRPC health that follows a service's dependencies: a monitor checks the database (and
object storage where the service uses it) every few seconds and sets the service's health
status to NOT_SERVING while a check fails, back to SERVING once every check passes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from grpc_health.v1 import health_pb2
from grpc_health.v1._async import HealthServicer

from services.kernel.db import Database
from services.kernel.metrics import HEALTH_STATUS
from services.kernel.storage.base import ObjectStorage

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 3.0

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass(frozen=True)
class HealthCheck:
    """One dependency: its name (in logs) and a probe that raises or returns False when it
    cannot be used."""

    name: str
    probe: Callable[[], Awaitable[bool | None]]


def database_check(db: Database) -> HealthCheck:
    async def probe() -> bool:
        async with db.reader() as conn:
            await conn.fetchval("SELECT 1")
        return True

    return HealthCheck("database", probe)


def storage_check(storage: ObjectStorage) -> HealthCheck:
    """The object store answers for the service's bucket (creating it when missing)."""

    async def probe() -> bool:
        await storage.start()
        return True

    return HealthCheck("object storage", probe)


class HealthMonitor:
    """Runs the checks and keeps the health statuses of `service_names` (and the server-wide
    "" entry) in step with them."""

    def __init__(
        self,
        context: str,
        health: HealthServicer,
        service_names: Sequence[str],
        checks: Sequence[HealthCheck],
        interval: float,
    ) -> None:
        self.context = context
        self.health = health
        self.names = ["", *service_names]
        self.checks = list(checks)
        self.interval = interval
        self.serving: bool | None = None
        self.failing: dict[str, str] = {}

    async def check_once(self) -> bool:
        """Run every check now and publish the result; returns whether all passed."""
        failing: dict[str, str] = {}
        for check in self.checks:
            try:
                ok = await asyncio.wait_for(check.probe(), CHECK_TIMEOUT_SECONDS)
            except Exception as exc:
                failing[check.name] = str(exc) or type(exc).__name__
            else:
                if ok is False:
                    failing[check.name] = "check failed"
        await self._publish(not failing, failing)
        return not failing

    async def _publish(self, serving: bool, failing: dict[str, str]) -> None:
        if serving != self.serving:
            if serving and self.serving is not None:
                log.info("%s serving again: dependencies answer", self.context)
            elif not serving:
                log.error(
                    "%s NOT_SERVING: %s",
                    self.context,
                    "; ".join(f"{k}: {v}" for k, v in failing.items()),
                )
            status = SERVING if serving else NOT_SERVING
            for name in self.names:
                await self.health.set(name, status)
        self.serving, self.failing = serving, failing
        HEALTH_STATUS.labels(self.context).set(1 if serving else 0)

    async def run(self) -> None:
        """Check every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            await self.check_once()
