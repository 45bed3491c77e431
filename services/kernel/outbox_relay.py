"""The outbox relay every service runs: it ships the context's audit outbox to
AuditService.RecordEvents.

One round is one transaction: lock up to `batch_size` rows in `seq` order with
FOR UPDATE SKIP LOCKED (so replicas of a service never ship the same row at once), send them,
delete them once the audit service acknowledged them, commit. A failure anywhere rolls the
round back: the rows stay and are sent again later; the audit service stores an event id once,
so a resend (say the relay died between sending and deleting) never duplicates. While the audit
service is unreachable the relay retries with capped exponential backoff.

Each round's span carries a span Link to the span of every distinct change it delivers (the
traceparent stored with the event), so a trace leads from a call to the delivery of its audit
events and back."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import grpc
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from tagen.audit.v1 import audit_pb2 as audit_pb
from tagen.audit.v1 import audit_pb2_grpc as audit_grpc

from services.kernel.db import Database
from services.kernel.metrics import (
    OUTBOX_BACKLOG,
    OUTBOX_FAILURES,
    OUTBOX_RELAY_LAG,
    OUTBOX_SHIPPED,
)
from services.kernel.outbox import AuditOutboxMixin
from services.kernel.server import ROUND_ROBIN
from services.kernel.settings import Settings
from services.kernel.tokens import ServiceIdentity
from services.kernel.tracing import SpanKind, inject, links_to, tracer

if TYPE_CHECKING:
    from services.kernel.runtime import Runtime

log = logging.getLogger(__name__)

#: Codes that need an operator (bad event, bad credentials) rather than patience.
_NEEDS_ATTENTION = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNIMPLEMENTED,
)


@dataclass(frozen=True)
class RelayOptions:
    batch_size: int = 1000
    """Rows per round (the audit service takes at most 5000 events per call)."""
    max_batch_bytes: int = 4 * 1024 * 1024
    """A round sends fewer rows when their size would pass this (gRPC message limit)."""
    poll_interval: float = 0.05
    """Pause after a round that found nothing to ship (seconds)."""
    initial_backoff: float = 0.1
    max_backoff: float = 5.0
    rpc_timeout: float = 10.0
    backlog_interval: float = 5.0
    """Seconds between two counts of the outbox (the tagen_outbox_backlog gauge)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> RelayOptions:
        return cls(
            batch_size=settings.audit_relay_batch_size,
            poll_interval=settings.audit_relay_poll_seconds,
            max_backoff=settings.audit_relay_max_backoff_seconds,
        )

    def backoff(self, failures: int) -> float:
        """Delay after `failures` failed rounds in a row: exponential, capped, jittered."""
        ceiling = min(self.max_backoff, self.initial_backoff * 2 ** min(failures - 1, 30))
        return random.uniform(ceiling / 2, ceiling)


@dataclass
class RelayStats:
    shipped: int = 0
    """Events acknowledged by the audit service and removed from the outbox."""
    duplicates: int = 0
    """Of those, events the audit service already had (redeliveries)."""
    rounds: int = 0
    failures: int = 0


#: Proto numbers of the action names the outbox stores; an unknown name is sent as
#: UNSPECIFIED, which the audit service refuses (naming the event) rather than losing it.
_ACTIONS: dict[str, int] = dict(audit_pb.AuditAction.items())


def _event(row: Any) -> audit_pb.AuditEvent:
    event = audit_pb.AuditEvent(
        event_id=str(row.id),
        user_id=str(row.user_id) if row.user_id else "",
        action=_ACTIONS.get(row.action, audit_pb.AUDIT_ACTION_UNSPECIFIED),
        entity_type=row.entity_type,
        entity_id=str(row.entity_id) if row.entity_id else "",
        details_json=row.details if row.details not in (None, "null") else "",
        ip_address=row.ip_address or "",
        user_agent=row.user_agent or "",
        correlation_id=str(row.correlation_id) if row.correlation_id else "",
    )
    event.occurred_at.FromDatetime(row.occurred_at)
    return event


def _approximate_size(row: Any) -> int:
    return 256 + len(row.details or "") + len(row.user_agent or "")


class OutboxRelay:
    """Ships one outbox table to the audit service; `run()` is the background task."""

    def __init__(
        self,
        db: Database,
        model: type[AuditOutboxMixin],
        identity: ServiceIdentity,
        *,
        address: str = "",
        channel: grpc.aio.Channel | None = None,
        options: RelayOptions | None = None,
    ) -> None:
        if (channel is None) == (not address):
            raise ValueError("give the audit service's address or a channel, not both")
        self.db = db
        self.model = model
        self.identity = identity
        self.address = address
        self.options = options or RelayOptions()
        self.stats = RelayStats()
        self._channel = channel
        self._owns_channel = channel is None
        self._stub: audit_grpc.AuditServiceStub | None = None
        table: Any = model.__table__  # type: ignore[attr-defined]
        self.name = str(table.fullname)
        service = str(table.schema or table.name)
        self._backlog = OUTBOX_BACKLOG.labels(service)
        self._lag = OUTBOX_RELAY_LAG.labels(service)
        self._shipped = OUTBOX_SHIPPED.labels(service)
        self._failures = OUTBOX_FAILURES.labels(service)
        self._count = sa.select(sa.func.count()).select_from(table)
        self._counted_at = 0.0
        self._select = (
            sa.select(
                table.c.id,
                table.c.occurred_at,
                table.c.user_id,
                table.c.action,
                table.c.entity_type,
                table.c.entity_id,
                sa.cast(table.c.details, sa.Text).label("details"),
                table.c.ip_address,
                table.c.user_agent,
                table.c.correlation_id,
                table.c.traceparent,
            )
            .order_by(table.c.seq)
            .with_for_update(skip_locked=True)
        )
        self._delete = sa.delete(table).where(
            table.c.id == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.Uuid())))
        )

    @classmethod
    def for_context(
        cls,
        runtime: Runtime,
        context: str,
        db: Database,
        model: type[AuditOutboxMixin],
        *,
        address: str | None = None,
    ) -> OutboxRelay:
        """The relay of `context`, sending as its service identity to the configured address."""
        settings = runtime.settings
        return cls(
            db,
            model,
            runtime.service_identity(context),
            address=address or settings.address_of("audit"),
            options=RelayOptions.from_settings(settings),
        )

    async def run(self) -> None:
        """Ship forever: at once while there is work, every poll_interval when idle, with
        backoff while failing. Cancel the task to stop (an unfinished round rolls back)."""
        failures = 0
        while True:
            try:
                shipped = await self.ship_batch()
            except Exception as exc:
                failures += 1
                self._report(exc, failures)
                await asyncio.sleep(self.options.backoff(failures))
                continue
            if failures:
                log.info("audit relay of %s delivering again", self.name)
            failures = 0
            if not shipped:
                await asyncio.sleep(self.options.poll_interval)

    async def ship_batch(self) -> int:
        """One round; returns how many events were delivered and removed (0: nothing to do)."""
        async with self.db.unit_of_work() as session:
            await self._measure_backlog(session)
            rows = await self._lock_rows(session)
            if not rows:
                return 0
            with tracer().start_as_current_span(
                "audit relay batch",
                kind=SpanKind.PRODUCER,
                attributes={"tagen.outbox": self.name, "tagen.events": len(rows)},
                links=links_to(row.traceparent for row in rows),
            ):
                reply = await self._send([_event(row) for row in rows])
                await self._acknowledge(session, [row.id for row in rows])
        oldest = min(row.occurred_at for row in rows)
        self._lag.set(max(0.0, (datetime.now(UTC) - oldest).total_seconds()))
        self._shipped.inc(len(rows))
        self.stats.rounds += 1
        self.stats.shipped += len(rows)
        self.stats.duplicates += reply.duplicates
        return len(rows)

    async def _measure_backlog(self, session: AsyncSession) -> None:
        now = time.monotonic()
        if now - self._counted_at < self.options.backlog_interval:
            return
        self._counted_at = now
        self._backlog.set(float((await session.execute(self._count)).scalar_one()))

    async def drain(self) -> int:
        """Ship until the outbox has nothing unlocked left; returns the events delivered."""
        total = 0
        while shipped := await self.ship_batch():
            total += shipped
        return total

    async def close(self) -> None:
        """Close the channel this relay opened (not one it was given)."""
        if self._owns_channel and self._channel is not None:
            await self._channel.close()
            self._channel = None
            self._stub = None

    async def _lock_rows(self, session: AsyncSession) -> Sequence[Any]:
        rows = (await session.execute(self._select.limit(self.options.batch_size))).all()
        size, kept = 0, 0
        for row in rows:
            size += _approximate_size(row)
            if kept and size > self.options.max_batch_bytes:
                break
            kept += 1
        return rows[:kept]

    async def _send(self, events: list[audit_pb.AuditEvent]) -> audit_pb.RecordEventsResponse:
        reply: audit_pb.RecordEventsResponse = await self._audit_stub().RecordEvents(
            audit_pb.RecordEventsRequest(events=events),
            metadata=inject(self.identity.metadata()),
            timeout=self.options.rpc_timeout,
        )
        return reply

    async def _acknowledge(self, session: AsyncSession, ids: list[uuid.UUID]) -> None:
        await session.execute(self._delete, {"ids": ids})

    def _audit_stub(self) -> audit_grpc.AuditServiceStub:
        if self._stub is None:
            if self._channel is None:
                backoff_ms = int(self.options.initial_backoff * 1000)
                self._channel = grpc.aio.insecure_channel(
                    self.address,
                    options=[
                        ROUND_ROBIN,
                        ("grpc.initial_reconnect_backoff_ms", backoff_ms),
                        ("grpc.min_reconnect_backoff_ms", backoff_ms),
                        ("grpc.max_reconnect_backoff_ms", int(self.options.max_backoff * 1000)),
                    ],
                )
            self._stub = audit_grpc.AuditServiceStub(self._channel)
        return self._stub

    def _report(self, exc: Exception, failures: int) -> None:
        self.stats.failures += 1
        self._failures.inc()
        table = self.name
        if isinstance(exc, grpc.aio.AioRpcError) and exc.code() in _NEEDS_ATTENTION:
            log.error("audit relay of %s refused: %s %s", table, exc.code().name, exc.details())
        elif failures == 1 or failures % 20 == 0:
            log.warning("audit relay of %s failing (%d in a row): %s", table, failures, exc)
