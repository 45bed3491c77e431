"""Gateway benchmark: in one run, with N requests in flight each,

1. bare grpc.aio echo (generic handler, bytes in and out),
2. identity GetUser over gRPC (bearer token verified, one user read from PostgreSQL),
3. GET /v1/users/{id} through the HTTP gateway (-> identity GetUser).

Every server (echo, identity, gateway) runs in its own process, and so does every load
client, so that the client is not measured with the server. PostgreSQL is DATABASE_URL
or an embedded pgserver in a temporary directory. Prints QPS, p50 and p99 latency and
the CPU each process used, then the two goals: gateway QPS >= 35% of bare echo, and the
gateway hop adding < 2 ms to p50 (compared with GetUser over gRPC).

    .venv/bin/python bench/bench_gateway.py [--seconds 5] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._grpc_load import ECHO_METHOD, start_echo  # noqa: E402

PAYLOAD = os.urandom(300)
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# ---------------------------------------------------------------------------- servers


async def _until_terminated() -> None:
    from services.kernel.server import wait_for_shutdown_signal

    await wait_for_shutdown_signal()


def _runtime(settings_values: dict[str, Any], keys: Any) -> Any:
    from services.kernel.runtime import Runtime
    from services.kernel.settings import Settings

    return Runtime.from_keys(Settings(**settings_values), keys)


def _run(main: Any, profile: str) -> None:
    """run_async(main()) - the services' event loop (uvloop) - under cProfile (written to
    `profile`) when a path is given."""
    from bench._grpc_load import log_like_production
    from services.cli.main import run_async

    log_like_production()
    if not profile:
        run_async(main())
        return
    import cProfile

    profiler = cProfile.Profile()
    try:
        profiler.runcall(run_async, main())
    finally:
        profiler.dump_stats(profile)


def identity_server(ready: Any, settings_values: dict[str, Any], keys: Any, profile: str) -> None:
    async def main() -> None:
        service = _runtime(settings_values, keys).create_service("identity", port=0)
        await service.start()
        ready.send(service.port)
        await _until_terminated()
        await service.stop(0)

    _run(main, profile)


def gateway_server(
    ready: Any, settings_values: dict[str, Any], keys: Any, identity: str, profile: str
) -> None:
    async def main() -> None:
        from services.gateway.app import start_gateway

        running = await start_gateway(
            _runtime(settings_values, keys),
            "127.0.0.1",
            0,
            addresses={"identity": identity},
            contexts={"identity"},
        )
        ready.send(running.port)
        await _until_terminated()
        await running.stop()

    _run(main, profile)


def start(target: Any, *args: Any) -> tuple[mp.Process, int]:
    context = mp.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    if not parent.poll(60):
        raise RuntimeError(f"{target.__name__} did not start")
    return process, int(parent.recv())


# ---------------------------------------------------------------------------- clients


@dataclass
class Result:
    count: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def qps(self) -> float:
        return self.count / self.seconds

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _drive(call: Any, concurrency: int, warmup: float, seconds: float) -> Result:
    latencies: list[float] = []
    errors = 0
    measuring = False
    stop = False

    async def worker() -> None:
        nonlocal errors
        while not stop:
            started = time.perf_counter()
            ok = await call()
            if measuring:
                latencies.append(time.perf_counter() - started)
                errors += 0 if ok else 1

    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    await asyncio.sleep(warmup)
    measuring = True
    began = time.perf_counter()
    await asyncio.sleep(seconds)
    measuring = False
    elapsed = time.perf_counter() - began
    stop = True
    await asyncio.gather(*tasks)
    return Result(len(latencies), errors, elapsed, latencies)


def grpc_client(
    conn: Any, kind: str, address: str, token: str, user_id: str, args: tuple[int, float, float]
) -> None:
    concurrency, warmup, seconds = args

    async def main() -> Result:
        import grpc

        async with grpc.aio.insecure_channel(address) as channel:
            if kind == "echo":
                echo = channel.unary_unary(ECHO_METHOD)

                async def call() -> bool:
                    return len(await echo(PAYLOAD)) == len(PAYLOAD)

            else:
                from tagen.identity.v1 import identity_pb2 as pb
                from tagen.identity.v1 import identity_pb2_grpc as pb_grpc

                stub = pb_grpc.IdentityServiceStub(channel)
                request = pb.GetUserRequest(user_id=user_id)
                metadata = (("authorization", f"Bearer {token}"),)

                async def call() -> bool:
                    reply = await stub.GetUser(request, metadata=metadata)
                    return reply.user.id == user_id

            return await _drive(call, concurrency, warmup, seconds)

    result = asyncio.run(main())
    conn.send((result.count, result.errors, result.seconds, result.latencies))


def http_client(
    conn: Any, port: int, token: str, user_id: str, args: tuple[int, float, float]
) -> None:
    concurrency, warmup, seconds = args
    request = (
        f"GET /v1/users/{user_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nUser-Agent: bench\r\n\r\n"
    ).encode()

    async def main() -> Result:
        connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(concurrency)]
        free = asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]]()
        for pair in connections:
            free.put_nowait(pair)

        async def call() -> bool:
            reader, writer = free.get_nowait()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            free.put_nowait((reader, writer))
            return head.startswith(b"HTTP/1.1 200") and user_id.encode() in body

        result = await _drive(call, concurrency, warmup, seconds)
        for _, writer in connections:
            writer.close()
        return result

    result = asyncio.run(main())
    conn.send((result.count, result.errors, result.seconds, result.latencies))


def run_client(target: Any, *args: Any) -> Result:
    context = mp.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    result = Result(*parent.recv())
    process.join()
    return result


# ---------------------------------------------------------------------------- set-up


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


async def make_user(settings_values: dict[str, Any], keys: Any) -> tuple[str, str]:
    """A REQUESTOR who reads their own profile (GetUser of oneself), and their token."""
    from services.identity.repositories import RoleRepository, UserRepository
    from services.kernel.db import Database
    from services.kernel.enums import UserRoleEnum
    from services.kernel.settings import Settings
    from services.kernel.tokens import AccessTokenSigner

    settings = Settings(**settings_values)
    db = Database.from_settings(settings)
    try:
        async with db.unit_of_work() as session:
            roles = RoleRepository(session)
            await roles.ensure_default_roles()
            name = f"bench-{uuid.uuid4().hex[:8]}"
            user = await UserRepository(session).create(
                {"username": name, "email": f"{name}@example.com", "auth_provider": "local"}
            )
            role = await roles.get_by_name(UserRoleEnum.REQUESTOR)
            assert role is not None
            await roles.assign_role_to_user(user.id, role.id)
    finally:
        await db.dispose()
    signer = AccessTokenSigner(keys.private_pem, settings.jwt_issuer, 3600)
    return str(user.id), signer.issue(user.id, name, [UserRoleEnum.REQUESTOR])


def database(stack: ExitStack) -> str:
    from services.kernel.embedded_postgres import to_asyncpg_url

    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    import pgserver

    data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="tagen-bench-pg-"))
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    stack.callback(server.cleanup)
    return to_asyncpg_url(server.get_uri())


def line(name: str, result: Result, cpu: dict[str, float]) -> str:
    used = "  ".join(f"{k} {v:4.0%}" for k, v in cpu.items())
    return (
        f"{name:<34} {result.qps:8.0f} QPS  p50 {result.percentile(0.5):6.2f} ms  "
        f"p99 {result.percentile(0.99):6.2f} ms  errors {result.errors}   CPU: {used}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--profile", default="", help="directory for cProfile dumps of identity and gateway"
    )
    options = parser.parse_args()

    from services.kernel.migrations import upgrade_all
    from services.kernel.tokens import generate_key_material

    with ExitStack() as stack:
        url = database(stack)
        upgrade_all(url, ["identity"])
        keys = generate_key_material()
        values = {
            "database_url": url,
            "grpc_host": "127.0.0.1",
            "database_pool_size": 10,
            "database_max_overflow": 0,
        }
        user_id, token = asyncio.run(make_user(values, keys))

        echo, echo_port = start_echo()
        profiles = Path(options.profile) if options.profile else None
        if profiles:
            profiles.mkdir(parents=True, exist_ok=True)
        identity, identity_port = start(
            identity_server, values, keys, str(profiles / "identity.prof") if profiles else ""
        )
        gateway, gateway_port = start(
            gateway_server,
            values,
            keys,
            f"127.0.0.1:{identity_port}",
            str(profiles / "gateway.prof") if profiles else "",
        )
        servers = {"echo": echo, "identity": identity, "gateway": gateway}
        try:
            print(
                f"{os.cpu_count()} CPUs; {options.concurrency} in flight; "
                f"{options.seconds:.0f} s per measurement after {options.warmup:.1f} s warm-up"
            )
            results: dict[str, Result] = {}
            for concurrency in (options.concurrency, 1):
                timing = (concurrency, options.warmup, options.seconds)
                runs: list[tuple[str, str, Any, tuple[Any, ...]]] = [
                    ("echo", "bare grpc.aio echo", grpc_client,
                     ("echo", f"127.0.0.1:{echo_port}", "", "", timing)),
                    ("grpc", "identity GetUser over gRPC", grpc_client,
                     ("user", f"127.0.0.1:{identity_port}", token, user_id, timing)),
                    ("http", "GET /v1/users/{id} via gateway", http_client,
                     (gateway_port, token, user_id, timing)),
                ]  # fmt: skip
                print(f"\n-- {concurrency} in flight")
                for key, name, client, args in runs:
                    before = {n: cpu_seconds(p.pid or 0) for n, p in servers.items()}
                    started = time.perf_counter()
                    result = run_client(client, *args)
                    wall = time.perf_counter() - started
                    cpu = {
                        n: (cpu_seconds(p.pid or 0) - before[n]) / wall for n, p in servers.items()
                    }
                    print(line(name, result, cpu), flush=True)
                    results[f"{key}{concurrency}"] = result
            c = options.concurrency
            echo_qps, gateway_qps = results[f"echo{c}"].qps, results[f"http{c}"].qps
            hop = results[f"http{c}"].percentile(0.5) - results[f"grpc{c}"].percentile(0.5)
            hop_single = results["http1"].percentile(0.5) - results["grpc1"].percentile(0.5)
            print(
                f"\ngateway / bare echo QPS: {gateway_qps / echo_qps:.0%} (goal >= 35%)\n"
                f"gateway hop on p50 at {c} in flight: {hop:+.2f} ms (goal < 2 ms); "
                f"at 1 in flight: {hop_single:+.2f} ms\n"
                f"gateway / gRPC GetUser QPS: {gateway_qps / results[f'grpc{c}'].qps:.0%}"
            )
            if any(r.errors for r in results.values()):
                print("some requests failed", file=sys.stderr)
                return 1
        finally:
            for process in servers.values():
                process.terminate()
            for process in servers.values():
                process.join(10)
        return 0


if __name__ == "__main__":
    sys.exit(main())
