"""The outbox relay's guarantees, on a scratch outbox written through AuditRecorder inside real
units of work and shipped to a real AuditService."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from sqlalchemy import func, select
from tagen.audit.v1 import audit_pb2 as pb

from services.kernel.db import Database
from services.kernel.enums import AuditAction
from services.kernel.outbox import AuditRecorder
from services.kernel.outbox_relay import OutboxRelay, RelayOptions
from services.kernel.runtime import Runtime
from tests.audit.conftest import AuditServer, ScratchOutbox, eventually, stored

FAST = RelayOptions(poll_interval=0.02, initial_backoff=0.05, max_backoff=0.2, rpc_timeout=5)


class Changes:
    """Audited changes: each one a unit of work that records one event in the outbox."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.recorder = AuditRecorder(ScratchOutbox)

    async def commit(self, details: dict[str, object] | None = None) -> uuid.UUID:
        async with self.db.unit_of_work() as session:
            return self.recorder.record(
                session, AuditAction.UPDATE, "request", uuid.uuid4(), details or {"n": 1}
            )

    async def commit_many(self, count: int, concurrency: int = 8) -> list[uuid.UUID]:
        ids: list[uuid.UUID] = []

        async def worker(share: int) -> None:
            for _ in range(share):
                ids.append(await self.commit())

        shares = [count // concurrency + (i < count % concurrency) for i in range(concurrency)]
        await asyncio.gather(*(worker(share) for share in shares))
        return ids

    async def pending(self) -> int:
        async with self.db.read_only() as session:
            return int(await session.scalar(select(func.count()).select_from(ScratchOutbox)) or 0)


@pytest.fixture
def changes(database: Database, outbox: type[ScratchOutbox]) -> Changes:
    return Changes(database)


@pytest.fixture
async def make_relay(database: Database, runtime: Runtime, audit_server: AuditServer):
    relays: list[OutboxRelay] = []

    def make(
        cls: type[OutboxRelay] = OutboxRelay, options: RelayOptions = FAST, **kwargs: object
    ) -> OutboxRelay:
        relay = cls(
            database,
            ScratchOutbox,
            runtime.service_identity("requests"),
            address=audit_server.address,
            options=options,
            **kwargs,  # type: ignore[arg-type]
        )
        relays.append(relay)
        return relay

    yield make
    for relay in relays:
        await relay.close()


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[OutboxRelay]:
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await relay.close()


async def test_an_event_exists_if_and_only_if_its_change_committed(changes, make_relay, database):
    committed = await changes.commit()
    rolled_back = uuid.uuid4()
    with pytest.raises(RuntimeError):
        async with database.unit_of_work() as session:
            rolled_back = changes.recorder.record(session, AuditAction.DELETE, "request", None)
            raise RuntimeError("the change fails after recording its event")
    async with running(make_relay()) as relay:
        await eventually(lambda: _stored_is(database, [committed], 1))
        await eventually(lambda: _pending_is(changes, 0))
    assert await stored(database, [rolled_back]) == 0
    assert relay.stats.shipped == 1


async def test_nothing_is_lost_while_the_audit_service_is_down(
    changes, make_relay, database, audit_server
):
    await audit_server.stop()
    try:
        async with running(make_relay()) as relay:
            ids = await changes.commit_many(1000)
            await eventually(lambda: _failed(relay, 2))
            assert await changes.pending() == 1000
            assert await stored(database, ids) == 0
            await audit_server.start()
            await eventually(lambda: _pending_is(changes, 0), within=20)
    finally:
        if audit_server.service is None:
            await audit_server.start()
    assert len(set(ids)) == 1000
    assert await stored(database, ids) == 1000
    assert relay.stats.shipped == 1000 and relay.stats.duplicates == 0


class KilledBeforeDelete(OutboxRelay):
    """Dies after the audit service acknowledged, before the rows are deleted."""

    async def _acknowledge(self, session, ids):  # type: ignore[no-untyped-def]
        raise RuntimeError("relay killed between sending and deleting")


class CancelledAfterSend(OutboxRelay):
    """Its task is cancelled right after the send returns."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.sent = asyncio.Event()

    async def _send(self, events):  # type: ignore[no-untyped-def]
        reply = await super()._send(events)
        self.sent.set()
        await asyncio.sleep(3600)
        return reply


async def test_a_relay_killed_between_sending_and_deleting_redelivers_once(
    changes, make_relay, database
):
    ids = await changes.commit_many(30)
    with pytest.raises(RuntimeError, match="killed"):
        await make_relay(KilledBeforeDelete).ship_batch()
    assert await changes.pending() == 30
    assert await stored(database, ids) == 30

    more = await changes.commit_many(5)
    cancelled = make_relay(CancelledAfterSend)
    task = asyncio.create_task(cancelled.ship_batch())
    await asyncio.wait_for(cancelled.sent.wait(), 5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert await changes.pending() == 35

    relay = make_relay()
    assert await relay.drain() == 35
    assert relay.stats.duplicates == 35
    assert await changes.pending() == 0
    assert await stored(database, ids + more) == 35


class Recording(OutboxRelay):
    """Notes what it sends; its first send waits until `release` is set."""

    def __init__(self, *args, hold_first: asyncio.Event | None = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.batches: list[list[str]] = []
        self.holding = asyncio.Event()
        self.hold_first = hold_first

    async def _send(self, events):  # type: ignore[no-untyped-def]
        self.batches.append([e.event_id for e in events])
        if self.hold_first is not None and len(self.batches) == 1:
            self.holding.set()
            await self.hold_first.wait()
        return await super()._send(events)


async def test_two_relays_never_ship_the_same_row_at_once(changes, make_relay, database):
    ids = await changes.commit_many(200)
    release = asyncio.Event()
    options = RelayOptions(batch_size=40, poll_interval=0.02)
    a = make_relay(Recording, options, hold_first=release)
    b = make_relay(Recording, options)
    first_a = asyncio.create_task(a.ship_batch())
    await asyncio.wait_for(a.holding.wait(), 5)
    b_shipped = await asyncio.wait_for(b.drain(), 10)  # while a holds its batch mid-send
    release.set()
    a_shipped = await first_a + await a.drain()
    assert set(a.batches[0]).isdisjoint(i for batch in b.batches for i in batch)
    assert len(a.batches[0]) == 40 and b_shipped == 160 and a_shipped == 40
    sent = [i for batch in a.batches + b.batches for i in batch]
    assert sorted(sent) == sorted(str(i) for i in ids)
    assert a.stats.duplicates == b.stats.duplicates == 0
    assert await stored(database, ids) == 200


async def test_batches_follow_the_outbox_order_and_the_size_budget(changes, make_relay, database):
    ids = [await changes.commit({"blob": "x" * 100_000}) for _ in range(7)]
    relay = make_relay(Recording, RelayOptions(max_batch_bytes=350_000))
    assert await relay.drain() == 7
    assert [len(batch) for batch in relay.batches] == [3, 3, 1]
    assert [i for batch in relay.batches for i in batch] == [str(i) for i in ids]
    assert await stored(database, ids) == 7


async def test_the_relay_sends_every_field(changes, make_relay, database, audit, as_admin):
    async with database.unit_of_work() as session:
        event_id = changes.recorder.record(
            session, AuditAction.LOGOUT, "user", None, None, user_id=uuid.uuid4()
        )
    await make_relay().drain()
    reply = await audit.ListAuditLogs(
        pb.ListAuditLogsRequest(entity_type="user", page_size=500), metadata=as_admin
    )
    (log,) = [log for log in reply.audit_logs if log.id == str(event_id)]
    assert log.action == pb.LOGOUT and log.user_id and not log.HasField("details")
    assert log.correlation_id  # a fresh id outside any RPC


async def _stored_is(db: Database, ids: list[uuid.UUID], count: int) -> bool:
    return await stored(db, ids) == count


async def _pending_is(changes: Changes, count: int) -> bool:
    return await changes.pending() == count


async def _failed(relay: OutboxRelay, times: int) -> bool:
    return relay.stats.failures >= times


def test_backoff_grows_exponentially_up_to_the_cap():
    options = RelayOptions(initial_backoff=0.1, max_backoff=2.0)
    for failures, ceiling in ((1, 0.1), (2, 0.2), (3, 0.4), (5, 1.6), (6, 2.0), (60, 2.0)):
        delays = [options.backoff(failures) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)


async def test_a_relay_may_use_a_channel_it_is_given(changes, database, runtime, audit_server):
    with pytest.raises(ValueError):
        OutboxRelay(database, ScratchOutbox, runtime.service_identity("requests"))
    ids = await changes.commit_many(3)
    async with grpc.aio.insecure_channel(audit_server.address) as channel:
        relay = OutboxRelay(
            database, ScratchOutbox, runtime.service_identity("requests"), channel=channel
        )
        assert await relay.drain() == 3
        await relay.close()
        assert await channel.channel_ready() is None  # still open: the relay does not own it
    assert await stored(database, ids) == 3


async def test_a_relay_batch_is_one_trace_with_the_audit_service_and_is_measured(
    changes: Changes, make_relay
) -> None:
    from services.kernel.metrics import label_values
    from tests.observability import span_exporter, spans_named

    spans = span_exporter()
    relay = make_relay()
    service = ScratchOutbox.__table__.schema or ScratchOutbox.__table__.name
    shipped_before = sum(label_values("tagen_outbox_events_shipped_total", service=service))
    await changes.commit_many(3)
    assert await relay.drain() == 3
    (batch,) = spans_named(spans, "audit relay batch")
    (ingest,) = spans_named(spans, "AuditService/RecordEvents")
    assert ingest.context.trace_id == batch.context.trace_id
    assert ingest.parent is not None and ingest.parent.span_id == batch.context.span_id
    shipped = sum(label_values("tagen_outbox_events_shipped_total", service=service))
    assert shipped - shipped_before == 3
    assert next(label_values("tagen_outbox_relay_lag_seconds", service=service)) >= 0
    assert list(label_values("tagen_outbox_backlog", service=service)) == [3.0]


async def test_a_batch_links_once_to_each_change_span_and_not_to_untraced_changes(
    changes: Changes, make_relay, database
) -> None:
    from services.kernel.tracing import tracer
    from tests.observability import span_exporter, spans_named

    spans = span_exporter()
    untraced = await changes.commit()
    with tracer().start_as_current_span("a change with two events") as change:
        await changes.commit()
        await changes.commit()
    async with database.read_only() as session:
        stored_traces = dict(
            (await session.execute(select(ScratchOutbox.id, ScratchOutbox.traceparent))).all()
        )
    assert stored_traces.pop(untraced) is None
    expected = change.get_span_context()
    assert [value.split("-")[1:3] for value in stored_traces.values()] == 2 * [
        [f"{expected.trace_id:032x}", f"{expected.span_id:016x}"]
    ]
    assert await make_relay().drain() == 3
    (batch,) = spans_named(spans, "audit relay batch")
    assert [(link.context.trace_id, link.context.span_id) for link in batch.links] == [
        (expected.trace_id, expected.span_id)
    ]
    assert all(link.context.is_remote for link in batch.links)
