"""Audit pipeline benchmark (not part of the test run).

1. Relay lag: a steady stream of audited changes (a system_config write plus its audit event,
   one unit of work each) at 500 per second; the identity outbox relay ships them; lag is the
   time from a change's commit to the audit service's acknowledgement of its event.
2. Ingest: AuditService.RecordEvents with batches of 1,000 events, end to end (gRPC client ->
   audit service in its own process -> PostgreSQL), against a raw COPY of the same rows, in
   batches of the same size and with the same concurrency, into a table of the same shape
   (LIKE audit.audit_logs INCLUDING ALL: same indexes and constraints). Then a pass that
   re-sends everything already stored: all of it must come back as duplicates. CPU time per
   event (PostgreSQL, audit service, client) is printed too: unlike events/s it hardly depends
   on what else the machine runs.

Runs on its own embedded PostgreSQL (pgserver). Environment knobs: BENCH_EVENTS (default
200000), BENCH_CONCURRENCY (4), BENCH_ROUNDS (2), BENCH_LAG_RATE (500), BENCH_LAG_SECONDS (10).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import grpc
import sqlalchemy as sa
from tagen.audit.v1 import audit_pb2 as pb

from services.identity.models import AuditOutbox
from services.identity.repositories import SystemConfigRepository
from services.kernel.db import Database
from services.kernel.embedded_postgres import EmbeddedPostgres
from services.kernel.enums import AuditAction
from services.kernel.migrations import upgrade_all_async
from services.kernel.outbox import AuditRecorder
from services.kernel.outbox_relay import OutboxRelay, RelayOptions
from services.kernel.settings import Settings
from services.kernel.tokens import ServiceIdentity, ensure_key_files

BATCH = 1000
EVENTS = int(os.environ.get("BENCH_EVENTS", "200000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
LAG_RATE = float(os.environ.get("BENCH_LAG_RATE", "500"))
LAG_SECONDS = float(os.environ.get("BENCH_LAG_SECONDS", "10"))
RECORD_EVENTS = "/tagen.audit.v1.AuditService/RecordEvents"
COLUMNS = [
    "id", "user_id", "action", "entity_type", "entity_id", "details",
    "ip_address", "user_agent", "correlation_id", "timestamp",
]  # fmt: skip
ACTIONS = [a.value for a in AuditAction]


class CpuMeter:
    """CPU seconds used by PostgreSQL (postmaster, its live children and reaped ones) and by
    the audit service process: per-event cost that does not depend on other load."""

    def __init__(self, data_dir: Path, service_pid: int) -> None:
        self.postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
        self.service_pid = service_pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def _stat(self, pid: int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    def _seconds(self, pid: int, *, reaped: bool) -> float:
        fields = self._stat(pid)
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        if reaped:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
        return ticks / self.tick

    def sample(self) -> tuple[float, float]:
        postgres = self._seconds(self.postmaster, reaped=True)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = self._stat(int(entry.name))
                    if int(fields[1]) == self.postmaster:
                        postgres += self._seconds(int(entry.name), reaped=False)
                except (OSError, IndexError, ValueError):
                    continue
        return postgres, self._seconds(self.service_pid, reaped=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_rows(count: int) -> list[tuple[object, ...]]:
    """Realistic events: a few users, many entities, calls of one to three events."""
    users = [uuid.uuid4() for _ in range(50)]
    rows = []
    now = datetime.now(UTC)
    correlation = uuid.uuid4()
    for i in range(count):
        if i % 3 == 0:
            correlation = uuid.uuid4()
        details = {"previous_status": "PENDING_APPROVAL", "new_status": "APPROVED", "n": i}
        rows.append(
            (
                uuid.uuid4(), users[i % len(users)], ACTIONS[i % len(ACTIONS)], "request",
                uuid.uuid4(), json.dumps(details), "192.168.1.100",
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", correlation, now,
            )
        )  # fmt: skip
    return rows


def as_requests(rows: list[tuple[object, ...]]) -> list[bytes]:
    """The rows as serialized RecordEventsRequests of BATCH events (built before timing)."""
    requests = []
    for start in range(0, len(rows), BATCH):
        events = []
        for row in rows[start : start + BATCH]:
            event = pb.AuditEvent(
                event_id=str(row[0]), user_id=str(row[1]),
                action=pb.AuditAction.Value(str(row[2])), entity_type=str(row[3]),
                entity_id=str(row[4]), details_json=str(row[5]), ip_address=str(row[6]),
                user_agent=str(row[7]), correlation_id=str(row[8]),
            )  # fmt: skip
            event.occurred_at.FromDatetime(row[9])  # type: ignore[arg-type]
            events.append(event)
        requests.append(pb.RecordEventsRequest(events=events).SerializeToString())
    return requests


async def run_concurrently(jobs: list[object], worker_count: int, handle) -> float:  # type: ignore[no-untyped-def]
    queue = list(reversed(jobs))

    async def worker() -> None:
        while queue:
            await handle(queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(worker_count)))
    return time.perf_counter() - started


async def copy_pass(pool: asyncpg.Pool, rows: list[tuple[object, ...]]) -> float:
    batches = [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]

    async def copy(batch: list[tuple[object, ...]]) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await conn.copy_records_to_table(
                "copy_target", schema_name="bench", records=batch, columns=COLUMNS
            )

    return await run_concurrently(batches, CONCURRENCY, copy)  # type: ignore[arg-type]


async def rpc_pass(
    channel: grpc.aio.Channel, identity: ServiceIdentity, requests: list[bytes]
) -> tuple[int, int]:
    call = channel.unary_unary(
        RECORD_EVENTS,
        request_serializer=None,
        response_deserializer=pb.RecordEventsResponse.FromString,
    )
    totals = [0, 0]

    async def send(body: bytes) -> None:
        reply = await call(body, metadata=identity.metadata(), timeout=60)
        totals[0] += reply.recorded
        totals[1] += reply.duplicates

    await run_concurrently(requests, CONCURRENCY, send)  # type: ignore[arg-type]
    return totals[0], totals[1]


def start_audit_service(url: str, keys_dir: Path, port: int) -> subprocess.Popen[bytes]:
    _, public, secret = ensure_key_files(keys_dir)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "AUDIT_PORT": str(port),
        "JWT_PUBLIC_KEY_FILE": str(public),
        "SERVICE_TOKEN_SECRET": secret,
        "DATABASE_POOL_SIZE": str(max(CONCURRENCY, 4)),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "serve", "audit"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def measured(meter: CpuMeter, events: int, job) -> tuple[float, str, object]:  # type: ignore[no-untyped-def]
    """Runs `job`; returns its wall time, a CPU cost line (microseconds per event) and result."""
    pg0, service0 = meter.sample()
    client0 = time.process_time()
    started = time.perf_counter()
    result = await job
    elapsed = time.perf_counter() - started
    pg1, service1 = meter.sample()
    client = time.process_time() - client0
    cost = (
        f"CPU per event: PostgreSQL {(pg1 - pg0) / events * 1e6:4.1f} us, "
        f"audit service {(service1 - service0) / events * 1e6:4.1f} us, "
        f"client {client / events * 1e6:4.1f} us"
    )
    return elapsed, cost, result


async def ingest_benchmark(
    raw_url: str, address: str, identity: ServiceIdentity, meter: CpuMeter
) -> None:
    pool = await asyncpg.create_pool(raw_url, min_size=CONCURRENCY, max_size=CONCURRENCY)
    async with pool.acquire() as conn:
        await conn.execute("CREATE SCHEMA bench")
        await conn.execute("CREATE TABLE bench.copy_target (LIKE audit.audit_logs INCLUDING ALL)")
    print(f"ingest: {EVENTS} events per pass, batches of {BATCH}, {CONCURRENCY} in flight")
    all_requests: list[bytes] = []
    async with grpc.aio.insecure_channel(address) as channel:
        await asyncio.wait_for(channel.channel_ready(), 30)
        for round_ in range(1, ROUNDS + 1):
            rows = make_rows(EVENTS)
            requests = as_requests(rows)
            async with pool.acquire() as conn:
                await conn.execute("CHECKPOINT")
            copy_seconds, copy_cost, _ = await measured(meter, EVENTS, copy_pass(pool, rows))
            async with pool.acquire() as conn:
                await conn.execute("CHECKPOINT")
            rpc_seconds, rpc_cost, totals = await measured(
                meter, EVENTS, rpc_pass(channel, identity, requests)
            )
            assert totals == (EVENTS, 0), totals
            all_requests += requests
            copy_rate, rpc_rate = EVENTS / copy_seconds, EVENTS / rpc_seconds
            print(f"  round {round_}:")
            print(f"    raw COPY     {copy_rate:>9,.0f} events/s   {copy_cost}")
            print(f"    RecordEvents {rpc_rate:>9,.0f} events/s   {rpc_cost}")
            print(f"    ratio RecordEvents / raw COPY: {rpc_rate / copy_rate:.2f}")
        resent = len(all_requests) * BATCH
        resend_seconds, resend_cost, totals = await measured(
            meter, resent, rpc_pass(channel, identity, all_requests)
        )
        print(
            f"  re-send of all {resent} stored events: {resent / resend_seconds:,.0f} events/s, "
            f"{totals[0]} recorded, {totals[1]} duplicates filtered"  # type: ignore[index]
        )
        print(f"    {resend_cost}")
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT count(*) FROM audit.audit_logs")
    expected = ROUNDS * EVENTS + int(LAG_RATE * LAG_SECONDS)
    print(f"  audit_logs holds {stored} rows (expected {expected}, the lag events included)")
    await pool.close()


class TimedRelay(OutboxRelay):
    """Notes when the audit service acknowledged each event."""

    acked: dict[str, float]
    expected: int
    all_acked: asyncio.Event

    async def _send(self, events):  # type: ignore[no-untyped-def]
        reply = await super()._send(events)
        now = time.perf_counter()
        for event in events:
            self.acked[event.event_id] = now
        if len(self.acked) >= self.expected:
            self.all_acked.set()
        return reply


async def lag_benchmark(url: str, address: str, identity: ServiceIdentity) -> None:
    settings = Settings(database_url=url)
    db = Database.from_settings(settings)
    relay = TimedRelay(
        db, AuditOutbox, identity, address=address, options=RelayOptions.from_settings(settings)
    )
    total = int(LAG_RATE * LAG_SECONDS)
    relay.acked, relay.expected, relay.all_acked = {}, total, asyncio.Event()
    recorder = AuditRecorder(AuditOutbox)
    committed: dict[str, float] = {}
    limit = asyncio.Semaphore(8)

    async def change(i: int) -> None:
        async with limit:
            async with db.unit_of_work() as session:
                row = await SystemConfigRepository(session).set_value(
                    f"BENCH_KEY_{i % 100}", i, "integer"
                )
                event_id = recorder.record(
                    session, AuditAction.UPDATE, "system_config", row.id, {"value": i}
                )
            committed[str(event_id)] = time.perf_counter()

    task = asyncio.create_task(relay.run())
    started = time.perf_counter()
    changes = []
    for i in range(total):
        delay = started + i / LAG_RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        changes.append(asyncio.create_task(change(i)))
    await asyncio.gather(*changes)
    produced = time.perf_counter() - started
    await asyncio.wait_for(relay.all_acked.wait(), 30)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await relay.close()
    await db.dispose()
    lags = sorted((relay.acked[k] - committed[k]) * 1000 for k in committed if k in relay.acked)
    print(
        f"relay lag: {total} audited changes at {total / produced:,.0f}/s for {produced:.1f} s, "
        f"{len(lags)} delivered"
    )
    print(
        f"  commit -> acknowledged by audit: p50 {statistics.median(lags):.1f} ms, "
        f"p99 {lags[int(len(lags) * 0.99) - 1]:.1f} ms, max {lags[-1]:.1f} ms "
        f"(poll interval {relay.options.poll_interval * 1000:.0f} ms)"
    )


async def main() -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load}; PostgreSQL from pgserver")
    with tempfile.TemporaryDirectory(prefix="tagen-bench-audit-") as tmp:
        postgres = EmbeddedPostgres(Path(tmp) / "postgres")
        url = postgres.start()
        server = None
        try:
            await upgrade_all_async(url, ["identity", "audit"])
            raw_url = sa.make_url(url).set(drivername="postgresql").render_as_string(False)
            port = free_port()
            server = start_audit_service(url, Path(tmp) / "keys", port)
            _, _, secret = ensure_key_files(Path(tmp) / "keys")
            identity = ServiceIdentity("bench", secret)
            address = f"127.0.0.1:{port}"
            meter = CpuMeter(Path(tmp) / "postgres", server.pid)
            async with grpc.aio.insecure_channel(address) as probe:
                await asyncio.wait_for(probe.channel_ready(), 30)
            await lag_benchmark(url, address, identity)
            await ingest_benchmark(raw_url, address, identity, meter)
        finally:
            print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
            if server is not None:
                server.terminate()
                _, errors = server.communicate(timeout=30)
                if server.returncode not in (0, -15):
                    print(errors.decode()[-2000:], file=sys.stderr)
            postgres.stop()


if __name__ == "__main__":
    asyncio.run(main())
