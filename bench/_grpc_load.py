"""Shared helpers of the gRPC benchmarks: a bare echo server and a closed-loop load client."""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.process
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc

ECHO_METHOD = "/bench.Echo/Echo"


async def serve_echo(port: int = 0) -> tuple[grpc.aio.Server, int]:
    """A grpc.aio unary echo on raw bytes: the ceiling of what Python gRPC serves.
    Returns the started server and its port (0 picks a free one)."""

    async def echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:  # type: ignore[type-arg]
        return request

    handler = grpc.method_handlers_generic_handler(
        "bench.Echo", {"Echo": grpc.unary_unary_rpc_method_handler(echo)}
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server, bound


def log_like_production() -> None:
    """Server processes log as in a pod: JSON lines (one access line per call), here into
    /dev/null, so the figures include the cost of writing them."""
    import os

    from services.kernel.logs import configure_logging

    configure_logging(stream=open(os.devnull, "w"), json=True)  # noqa: SIM115 - process-long


def run_echo(ready: Any, port: int = 0) -> None:
    """Process target: the echo server on the event loop the services use (run_async, i.e.
    uvloop), until SIGTERM; its port is sent through the pipe end `ready` once it serves."""
    from services.cli.main import run_async
    from services.kernel.server import wait_for_shutdown_signal

    async def main() -> None:
        server, bound = await serve_echo(port)
        ready.send(bound)
        await wait_for_shutdown_signal()
        await server.stop(0)

    run_async(main())


def start_echo() -> tuple[multiprocessing.process.BaseProcess, int]:
    """The echo server in a child process (spawned): (process, port)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=run_echo, args=(child,), daemon=True)
    process.start()
    if not parent.poll(60):
        raise RuntimeError("echo server did not start")
    return process, int(parent.recv())


@dataclass
class LoadResult:
    name: str
    calls: int
    seconds: float
    latencies_ms: list[float]

    @property
    def qps(self) -> float:
        return self.calls / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.qps:>9.0f} qps   p50 {self.percentile(0.5):6.2f} ms"
            f"   p99 {self.percentile(0.99):6.2f} ms   ({self.calls} calls)"
        )


async def closed_loop(
    name: str, call: Callable[[], Awaitable[object]], in_flight: int, seconds: float
) -> LoadResult:
    """`in_flight` workers each issue calls back to back for `seconds` (after a warm-up)."""
    for _ in range(200):
        await call()
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []

    async def worker() -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - start) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return LoadResult(name, len(latencies), time.perf_counter() - began, latencies)


def median(values: list[float]) -> float:
    return statistics.median(values)
