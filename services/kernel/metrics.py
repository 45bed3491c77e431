"""Prometheus metrics of the platform, defined once for every service and the gateway.

Every series carries a `service` label (the context, or "gateway"), so the embedded platform
(all services in one process, one registry) and one pod per service read the same way.
A gRPC service exposes them on its metrics port (`METRICS_PORT`, or `<CONTEXT>_METRICS_PORT`;
0 = off); the gateway on `GET /metrics`."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

#: Request latencies: 1 ms .. 60 s (uploads and validations run long).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
#: Background work that takes seconds to minutes (validation runs, pipeline stages).
JOB_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600)

RPC_REQUESTS = Counter(
    "tagen_rpc_requests",
    "gRPC calls served, by service, method and status code",
    ["service", "method", "code"],
)
RPC_LATENCY = Histogram(
    "tagen_rpc_duration_seconds",
    "Time to serve a gRPC call, by service and method",
    ["service", "method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "tagen_http_requests",
    "HTTP requests served by the gateway, by route, method and status",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "tagen_http_request_duration_seconds",
    "Time to answer an HTTP request at the gateway, by route and method",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
DB_POOL_WAIT = Histogram(
    "tagen_db_pool_wait_seconds",
    "Time a statement waited for a pooled database connection",
    ["service"],
    buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30),
)
OUTBOX_BACKLOG = Gauge(
    "tagen_outbox_backlog",
    "Audit events waiting in a service's outbox (measured by its relay)",
    ["service"],
)
OUTBOX_RELAY_LAG = Gauge(
    "tagen_outbox_relay_lag_seconds",
    "Age of the oldest event in the last batch the relay delivered",
    ["service"],
)
OUTBOX_SHIPPED = Counter(
    "tagen_outbox_events_shipped", "Audit events delivered by the outbox relay", ["service"]
)
OUTBOX_FAILURES = Counter("tagen_outbox_relay_failures", "Failed outbox relay rounds", ["service"])
VALIDATION_RUNS = Gauge(
    "tagen_validation_runs", "Validation runs by status (QUEUED is the queue depth)", ["status"]
)
VALIDATION_RUN_SECONDS = Histogram(
    "tagen_validation_run_duration_seconds",
    "Duration of finished validation runs, by final status",
    ["status"],
    buckets=JOB_BUCKETS,
)
PIPELINE_STAGE_SECONDS = Histogram(
    "tagen_pipeline_stage_duration_seconds",
    "Duration of a generation pipeline stage (e.g. generate, validate), by outcome",
    ["stage", "outcome"],
    buckets=JOB_BUCKETS,
)


@contextmanager
def timed_stage(stage: str) -> Iterator[None]:
    """Observe the block's duration in tagen_pipeline_stage_duration_seconds, with outcome
    "ok", or "error" when it raises (the generation pipeline wraps each stage in it)."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        PIPELINE_STAGE_SECONDS.labels(stage, outcome).observe(time.perf_counter() - started)


HEALTH_STATUS = Gauge(
    "tagen_health_serving",
    "1 while the service's dependencies (database, storage) answer, else 0",
    ["service"],
)


class PoolCollector(Collector):
    """Connections in use and idle in each service's SQLAlchemy pool, read at scrape time."""

    def __init__(self) -> None:
        self._engines: weakref.WeakValueDictionary[str, AsyncEngine] = weakref.WeakValueDictionary()

    def watch(self, service: str, engine: AsyncEngine) -> None:
        self._engines[service] = engine

    def collect(self) -> Iterable[GaugeMetricFamily]:
        in_use = GaugeMetricFamily(
            "tagen_db_pool_in_use", "Pooled connections checked out", labels=["service"]
        )
        idle = GaugeMetricFamily(
            "tagen_db_pool_idle", "Pooled connections open and idle", labels=["service"]
        )
        for service, engine in list(self._engines.items()):
            pool = engine.pool
            checked_out = getattr(pool, "checkedout", None)
            checked_in = getattr(pool, "checkedin", None)
            if checked_out is None or checked_in is None:
                continue
            in_use.add_metric([service], float(checked_out()))
            idle.add_metric([service], float(checked_in()))
        yield in_use
        yield idle


POOLS = PoolCollector()
REGISTRY.register(POOLS)


def render_latest() -> tuple[bytes, str]:
    """The text exposition of every metric of the process and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class MetricsServer:
    """The process's Prometheus HTTP endpoints, one per port (services of one process share
    the registry, so asking twice for the same port returns the same server)."""

    _servers: dict[int, MetricsServer] = {}
    _lock = threading.Lock()

    def __init__(self, host: str, port: int) -> None:
        server, thread = start_http_server(port, addr=host)
        self._server = server
        self._thread = thread
        self.port: int = int(server.server_port)
        self.users = 0

    @classmethod
    def acquire(cls, host: str, port: int) -> MetricsServer:
        """The server on `port` (0: a new one on a free port); release() when done."""
        with cls._lock:
            server = cls._servers.get(port) if port else None
            if server is None:
                server = cls(host, port)
                cls._servers[server.port] = server
            server.users += 1
            return server

    def release(self) -> None:
        with self._lock:
            self.users -= 1
            if self.users > 0:
                return
            self._servers.pop(self.port, None)
        self._server.shutdown()
        self._server.server_close()


def label_values(metric_name: str, **labels: str) -> Iterator[float]:
    """Current values of the samples named `metric_name` whose labels include `labels`
    (used by tests and benchmarks to read the registry)."""
    for family in REGISTRY.collect():
        for sample in family.samples:
            if sample.name == metric_name and all(
                sample.labels.get(k) == v for k, v in labels.items()
            ):
                yield sample.value
