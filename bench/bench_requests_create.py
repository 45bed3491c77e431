"""CreateRequest throughput with 50 calls in flight, against a bare grpc.aio echo server
measured in the same run (both servers in child processes, the client here).

Goal: CreateRequest QPS at least 40% of the echo QPS.
Run: .venv/bin/python bench/bench_requests_create.py [seconds]
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
from _grpc_load import start_echo
from requests_support import (
    cpu_seconds,
    migrated_database,
    postgres_cpu_seconds,
    requests_server,
)
from tagen.requests.v1 import requests_pb2 as pb
from tagen.requests.v1 import requests_pb2_grpc as pb_grpc

from services.kernel.enums import UserRoleEnum
from services.kernel.tokens import AccessTokenSigner

IN_FLIGHT = 50
last_calls = 0
ROUNDS = 3


async def measure(call: Callable[[], Awaitable[object]], seconds: float) -> float:
    """Calls per second with IN_FLIGHT concurrent callers, after a short warm-up."""
    global last_calls
    done = 0
    stop = 0.0

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await call()
            done += 1

    stop = time.perf_counter() + min(1.0, seconds / 3)
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    done = 0
    start = time.perf_counter()
    stop = start + seconds
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    last_calls = done
    return done / (time.perf_counter() - start)


@contextlib.contextmanager
def echo_server() -> Iterator[tuple[str, int]]:
    """The shared bare echo (bench/_grpc_load.py) in a child process, on uvloop like the
    requests service: (address, pid)."""
    process, port = start_echo()
    try:
        yield f"127.0.0.1:{port}", process.pid or 0
    finally:
        process.terminate()
        process.join(10)


class CpuMeter:
    """CPU milliseconds per call of the client, the servers and PostgreSQL."""

    def __init__(self, pids: dict[str, int], scratch: Path) -> None:
        self.pids, self.scratch = pids, scratch

    def snapshot(self) -> dict[str, float]:
        values = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        values["client"] = time.process_time()
        values["postgres"] = postgres_cpu_seconds(self.scratch)
        return values

    @staticmethod
    def per_call(before: dict[str, float], after: dict[str, float], calls: int) -> str:
        return ", ".join(
            f"{name} {(after[name] - before[name]) / max(calls, 1) * 1000:.2f}" for name in before
        )


async def compare(
    echo_address: str, address: str, keys: Any, seconds: float, meter: CpuMeter
) -> None:
    """Alternate echo and CreateRequest rounds so both see the same machine load."""
    signer = AccessTokenSigner(keys.private_pem, "tagen-identity", 3600)
    token = signer.issue(uuid.uuid4(), "u", [UserRoleEnum.REQUESTOR])
    md = (("authorization", "Bearer " + token),)
    message = pb.CreateRequestRequest(source_system="Apache", description="bench")
    payload = message.SerializeToString()
    async with (
        grpc.aio.insecure_channel(echo_address) as echo_channel,
        grpc.aio.insecure_channel(address) as channel,
    ):
        await asyncio.wait_for(echo_channel.channel_ready(), 30)
        echo = echo_channel.unary_unary("/bench.Echo/Echo")
        stub = pb_grpc.RequestServiceStub(channel)
        echoes, creates = [], []
        for _ in range(ROUNDS):
            start = meter.snapshot()
            echoes.append(await measure(lambda: echo(payload), seconds))
            middle = meter.snapshot()
            echo_calls = last_calls
            creates.append(await measure(lambda: stub.CreateRequest(message, metadata=md), seconds))
            end = meter.snapshot()
            print(f"  CPU ms/call echo: {meter.per_call(start, middle, echo_calls)}")
            print(f"  CPU ms/call CreateRequest: {meter.per_call(middle, end, last_calls)}")
    for i, (e, c) in enumerate(zip(echoes, creates, strict=True), start=1):
        print(f"round {i}: echo {e:.0f}/s, CreateRequest {c:.0f}/s ({c / e:.0%})")
    baseline, qps = statistics.median(echoes), statistics.median(creates)
    ratio = qps / baseline
    verdict = "OK" if ratio >= 0.4 else "UNDER GOAL"
    print(f"bare grpc.aio echo: {baseline:.0f} calls/s with {IN_FLIGHT} in flight (median)")
    print(f"CreateRequest: {qps:.0f} calls/s = {ratio:.0%} of echo (goal >= 40%) {verdict}")


def main(seconds: float) -> None:
    with (
        migrated_database() as (url, scratch),
        requests_server(url, scratch) as (address, keys, server_pid),
        echo_server() as (echo_address, echo_pid),
    ):
        meter = CpuMeter({"requests": server_pid, "echo": echo_pid}, scratch)
        asyncio.run(compare(echo_address, address, keys, seconds, meter))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
