"""Benchmark (issue 12): the cost of the access log, metrics and tracing on an authenticated
GetUser (token check + one database read), measured in one process as CPU time per call with
the telemetry layer on and off, in interleaved batches, so that the other load of a shared
machine weighs on both sides alike. Logs are written as in a pod (JSON lines, to /dev/null).

    .venv/bin/python bench/bench_telemetry.py [--rounds 16] [--batch 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._grpc_load import log_like_production
from bench.bench_identity import identity_database
from services.cli.main import run_async


async def measure(url: str, user_id: uuid.UUID, keys: Any, token: str, args: Any) -> None:
    from tagen.identity.v1 import identity_pb2 as pb
    from tagen.identity.v1 import identity_pb2_grpc as pb_grpc

    import services.kernel.server as bootstrap
    from services.kernel.runtime import Runtime
    from services.kernel.settings import Settings
    from services.kernel.telemetry import TelemetryInterceptor

    class NoTelemetry(TelemetryInterceptor):
        def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
            return handler

    settings = Settings(
        database_url=url, database_pool_size=10, database_max_overflow=0, grpc_host="127.0.0.1"
    )
    runtime = Runtime.from_keys(settings, keys)
    services = {"on": runtime.create_service("identity", port=0)}
    bootstrap.TelemetryInterceptor = NoTelemetry  # type: ignore[misc]  # the "off" server only
    try:
        services["off"] = runtime.create_service("identity", port=0)
    finally:
        bootstrap.TelemetryInterceptor = TelemetryInterceptor  # type: ignore[misc]
    for service in services.values():
        await service.start()
    request = pb.GetUserRequest(user_id=str(user_id))
    metadata = (("authorization", f"Bearer {token}"),)
    spent = {"on": 0.0, "off": 0.0}
    calls = {"on": 0, "off": 0}
    channels = {name: grpc.aio.insecure_channel(s.address) for name, s in services.items()}
    try:

        async def batch(name: str) -> None:
            stub = pb_grpc.IdentityServiceStub(channels[name])

            async def worker() -> None:
                for _ in range(args.batch // args.in_flight):
                    await stub.GetUser(request, metadata=metadata)

            started = time.process_time()
            await asyncio.gather(*(worker() for _ in range(args.in_flight)))
            spent[name] += time.process_time() - started
            calls[name] += args.batch // args.in_flight * args.in_flight

        for name in ("on", "off"):  # warm-up
            await batch(name)
        spent.update(on=0.0, off=0.0)
        calls.update(on=0, off=0)
        for round_ in range(args.rounds):
            for name in ("off", "on") if round_ % 2 else ("on", "off"):
                await batch(name)
    finally:
        for channel in channels.values():
            await channel.close()
        for service in services.values():
            await service.stop(0)
    per_call = {name: spent[name] / calls[name] * 1e6 for name in spent}
    for name in ("off", "on"):
        cpu = f"{per_call[name]:7.0f} us CPU per GetUser"
        print(f"telemetry {name:<3}  {cpu} ({calls[name]} calls)")
    print(
        f"overhead: {per_call['on'] / per_call['off'] - 1:+.1%} of the CPU of a call "
        "(client and server in this process; goal: < 10% QPS loss)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--in-flight", type=int, default=10)
    args = parser.parse_args()
    log_like_production()

    with identity_database() as (url, user_id, keys, token):
        run_async(measure(url, user_id, keys, token, args))


if __name__ == "__main__":
    main()
