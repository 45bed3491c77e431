"""Shared set-up of the requests benchmarks: an embedded PostgreSQL in a temporary directory,
migrated, and helpers to start a RequestService in this process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.kernel.embedded_postgres import EmbeddedPostgres
from services.kernel.migrations import upgrade_all
from services.kernel.tokens import generate_key_material


@contextlib.contextmanager
def migrated_database() -> Iterator[tuple[str, Path]]:
    """(asyncpg URL, scratch directory) of a fresh, migrated embedded PostgreSQL."""
    with tempfile.TemporaryDirectory(prefix="tagen-bench-") as scratch:
        root = Path(scratch)
        postgres = EmbeddedPostgres(root / "postgres")
        url = postgres.start()
        try:
            upgrade_all(url)
            yield url, root
        finally:
            postgres.stop()


async def timed(call: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    """Milliseconds of each run."""
    spent = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def summary(label: str, millis: list[float], goal: float) -> str:
    median = statistics.median(millis)
    p95 = sorted(millis)[max(0, int(len(millis) * 0.95) - 1)]
    verdict = "OK" if median <= goal else "OVER GOAL"
    return f"{label}: median {median:.2f} ms, p95 {p95:.2f} ms (goal <= {goal} ms) {verdict}"


@contextlib.contextmanager
def requests_server(url: str, scratch: Path, **env: str) -> Iterator[tuple[str, Any, int]]:
    """`tagen serve requests` in a child process: (address, key material, pid)."""
    keys = generate_key_material()
    assert keys.private_pem is not None
    public = scratch / "jwt_public.pem"
    public.write_bytes(keys.public_pem)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "JWT_PUBLIC_KEY_FILE": str(public),
        "SERVICE_TOKEN_SECRET": keys.service_secret,
        "DATA_DIR": str(scratch / "data"),
        "REQUESTS_PORT": str(port),
        "IDENTITY_ADDRESS": "127.0.0.1:9",
        # 10 steady connections: overflow connections beyond the pool are closed on return
        # and reopened under load (a PostgreSQL backend fork and type introspection each).
        "DATABASE_POOL_SIZE": "10",
        "DATABASE_MAX_OVERFLOW": "0",
        **env,
    }
    tagen = Path(sys.executable).with_name("tagen")
    child = subprocess.Popen(
        [str(tagen), "serve", "requests"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    address = f"127.0.0.1:{port}"
    try:
        _wait_serving(address, child)
        yield address, keys, child.pid
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()


def _wait_serving(address: str, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise RuntimeError(f"server exited: {child.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux); False when the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(scratch: Path) -> float:
    """CPU time of the embedded PostgreSQL server and its backends so far."""
    postmaster = int((scratch / "postgres" / "postmaster.pid").read_text().split()[0])
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if int(entry.name) == postmaster or ppid == postmaster:
                total += cpu_seconds(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return total
