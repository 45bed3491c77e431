"""Benchmark (issue 11): how long after a change that removes access (deactivation, deletion,
role revocation, admin password reset, own password change, "log out everywhere") the old
access token is refused by identity and by requests, each in its own process with its own
revocation feed (the production shape). Prints p50 / p99 / max over N changes.

    .venv/bin/python bench/bench_revocation.py [--changes 100] [--poll-seconds 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing as mp
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.cli.main import run_async

KINDS = ("deactivate", "delete", "revoke_role", "admin_reset", "own_password", "logout_all")
PASSWORD = "bench-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_for(url: str, data_dir: str, ports: dict[str, int], poll: float):  # type: ignore[no-untyped-def]
    from services.kernel.settings import Settings

    return Settings(
        database_url=url,
        database_pool_size=5,
        database_max_overflow=0,
        grpc_host="127.0.0.1",
        data_dir=Path(data_dir),
        identity_port=ports["identity"],
        requests_port=ports["requests"],
        audit_address="127.0.0.1:9",
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
        revocation_poll_seconds=poll,
        login_throttle_ip_failures=100000,
    )


def serve(context: str, settings_args: tuple, keys: tuple[bytes, bytes, str], ready) -> None:  # type: ignore[no-untyped-def, type-arg]
    from services.kernel.runtime import Runtime
    from services.kernel.tokens import KeyMaterial

    async def main() -> None:
        runtime = Runtime.from_keys(settings_for(*settings_args), KeyMaterial(*keys))
        service = runtime.create_service(context)
        await service.start()
        ready.set()
        await service.server.wait_for_termination()

    run_async(main())


async def seed(url: str, count: int) -> None:
    from services.identity.passwords import Passwords
    from services.identity.repositories import RoleRepository, UserRepository
    from services.kernel.db import Database
    from services.kernel.enums import UserRoleEnum
    from services.kernel.settings import Settings

    db = Database.from_settings(Settings(database_url=url))
    hashed = Passwords(1, 64).hash(PASSWORD)
    async with db.unit_of_work() as s:
        roles = RoleRepository(s)
        await roles.ensure_default_roles()
        names = {r: await roles.get_by_name(r) for r in UserRoleEnum}
        for i in range(count + 1):
            name = "admin" if i == count else f"user{i}"
            user = await UserRepository(s).create(
                {"username": name, "email": f"{name}@example.com", "hashed_password": hashed}
            )
            held = [UserRoleEnum.ADMIN] if i == count else [UserRoleEnum.REQUESTOR]
            held.append(UserRoleEnum.APPROVER)
            for role in held:
                role_row = names[role]
                assert role_row is not None
                await roles.assign_role_to_user(user.id, role_row.id)
    await db.dispose()


async def measure(ports: dict[str, int], count: int) -> list[float]:
    from tagen.identity.v1 import identity_pb2 as ipb
    from tagen.identity.v1 import identity_pb2_grpc as ipb_grpc
    from tagen.requests.v1 import requests_pb2 as rpb
    from tagen.requests.v1 import requests_pb2_grpc as rpb_grpc

    def md(token: str) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {token}"),)

    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{ports['identity']}") as ich,
        grpc.aio.insecure_channel(f"127.0.0.1:{ports['requests']}") as rch,
    ):
        identity, requests = ipb_grpc.IdentityServiceStub(ich), rpb_grpc.RequestServiceStub(rch)

        async def login(name: str) -> ipb.LoginResponse:
            return await identity.Login(ipb.LoginRequest(username=name, password=PASSWORD))

        async def refused(token: str) -> bool:
            probes = (
                identity.GetCurrentUser(ipb.GetCurrentUserRequest(), metadata=md(token)),
                requests.ListRequests(rpb.ListRequestsRequest(page_size=1), metadata=md(token)),
            )
            results = await asyncio.gather(*probes, return_exceptions=True)
            return all(
                isinstance(r, grpc.aio.AioRpcError) and r.code() == grpc.StatusCode.UNAUTHENTICATED
                for r in results
            )

        admin = md((await login("admin")).access_token)
        delays: list[float] = []
        for i in range(count):
            kind = KINDS[i % len(KINDS)]
            user = await login(f"user{i}")
            assert not await refused(user.access_token)
            uid = user.user.id
            if kind == "deactivate":
                change = identity.UpdateUser(
                    ipb.UpdateUserRequest(user_id=uid, is_active=False), metadata=admin
                )
            elif kind == "delete":
                change = identity.DeleteUser(ipb.DeleteUserRequest(user_id=uid), metadata=admin)
            elif kind == "revoke_role":
                change = identity.RevokeRole(
                    ipb.RevokeRoleRequest(user_id=uid, role=ipb.APPROVER), metadata=admin
                )
            elif kind == "admin_reset":
                change = identity.UpdateUser(
                    ipb.UpdateUserRequest(user_id=uid, password="reset-password-22"),
                    metadata=admin,
                )
            elif kind == "own_password":
                change = identity.ChangePassword(
                    ipb.ChangePasswordRequest(
                        current_password=PASSWORD, new_password="changed-password-22"
                    ),
                    metadata=md(user.access_token),
                )
            else:
                change = identity.LogoutEverywhere(
                    ipb.LogoutEverywhereRequest(), metadata=md(user.access_token)
                )
            await change
            start = time.monotonic()
            while not await refused(user.access_token):
                if time.monotonic() - start > 15:
                    raise RuntimeError(f"change {i} ({kind}) never took effect")
            delays.append(time.monotonic() - start)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--poll-seconds", type=float, default=0.1)
    args = parser.parse_args()

    import pgserver

    from services.kernel.embedded_postgres import to_asyncpg_url
    from services.kernel.migrations import upgrade_all
    from services.kernel.tokens import generate_key_material

    with tempfile.TemporaryDirectory(prefix="tagen-bench-") as data:
        pg = pgserver.get_server(data, cleanup_mode="stop")
        url = to_asyncpg_url(pg.get_uri())
        upgrade_all(url, ["identity", "requests"])
        asyncio.run(seed(url, args.changes))
        keys = generate_key_material()
        assert keys.private_pem is not None
        key_args = (keys.private_pem, keys.public_pem, keys.service_secret)
        ports = {"identity": free_port(), "requests": free_port()}
        ctx = mp.get_context("spawn")
        procs = []
        try:
            for context in ("identity", "requests"):
                ready = ctx.Event()
                settings_args = (url, data, ports, args.poll_seconds)
                proc = ctx.Process(
                    target=serve, args=(context, settings_args, key_args, ready), daemon=True
                )
                proc.start()
                procs.append(proc)
                if not ready.wait(60):
                    raise RuntimeError(f"{context} did not start")
            delays = asyncio.run(measure(ports, args.changes))
        finally:
            for proc in procs:
                proc.terminate()
                proc.join(5)
            pg.cleanup()
    ordered = sorted(delays)
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    print(
        f"revocation delay over {len(delays)} changes ({', '.join(KINDS)}), feed poll "
        f"{args.poll_seconds * 1000:.0f} ms, identity and requests in separate processes:"
    )
    print(
        f"p50 {statistics.median(delays) * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms   "
        f"max {ordered[-1] * 1000:6.1f} ms   goal: p99 < 1000 ms"
    )


if __name__ == "__main__":
    main()
