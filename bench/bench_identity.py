"""Benchmark (issue 2): bare grpc.aio echo vs the identity service's authenticated GetUser
(token check + one database read), 50 calls in flight, servers in their own processes,
each on the event loop the services use (uvloop).

    .venv/bin/python bench/bench_identity.py [--seconds 5] [--in-flight 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import socket
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._grpc_load import ECHO_METHOD, closed_loop, log_like_production, start_echo
from services.cli.main import run_async


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_identity(url: str, keys: tuple[bytes, bytes, str], port: int, ready: mp.Event) -> None:  # type: ignore[valid-type]
    from services.kernel.runtime import Runtime
    from services.kernel.settings import Settings
    from services.kernel.tokens import KeyMaterial

    log_like_production()

    async def main() -> None:
        settings = Settings(
            database_url=url, database_pool_size=10, database_max_overflow=0, grpc_host="127.0.0.1"
        )
        runtime = Runtime.from_keys(settings, KeyMaterial(*keys))
        service = runtime.create_service("identity", port=port)
        await service.start()
        ready.set()  # type: ignore[attr-defined]
        await service.server.wait_for_termination()

    run_async(main())


async def seed_user(url: str) -> uuid.UUID:
    from services.identity.repositories import RoleRepository, UserRepository
    from services.kernel.db import Database
    from services.kernel.enums import UserRoleEnum
    from services.kernel.settings import Settings

    db = Database.from_settings(Settings(database_url=url))
    async with db.unit_of_work() as s:
        await RoleRepository(s).ensure_default_roles()
        user = await UserRepository(s).create({"username": "bench", "email": "bench@example.com"})
        admin = await RoleRepository(s).get_by_name(UserRoleEnum.ADMIN)
        assert admin is not None
        await RoleRepository(s).assign_role_to_user(user.id, admin.id)
        user_id = user.id
    await db.dispose()
    return user_id


async def measure(
    echo_port: int,
    identity_port: int,
    token: str,
    user_id: uuid.UUID,
    seconds: float,
    in_flight: int,
) -> None:
    from tagen.identity.v1 import identity_pb2 as pb
    from tagen.identity.v1 import identity_pb2_grpc as pb_grpc

    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{echo_port}") as echo_channel,
        grpc.aio.insecure_channel(f"127.0.0.1:{identity_port}") as identity_channel,
    ):
        echo = echo_channel.unary_unary(ECHO_METHOD)
        payload = b"x" * 64
        stub = pb_grpc.IdentityServiceStub(identity_channel)
        request = pb.GetUserRequest(user_id=str(user_id))
        metadata = (("authorization", f"Bearer {token}"),)
        bare = await closed_loop(
            "(a) bare grpc.aio echo", lambda: echo(payload), in_flight, seconds
        )
        get_user = await closed_loop(
            "(b) identity GetUser (auth + DB)",
            lambda: stub.GetUser(request, metadata=metadata),
            in_flight,
            seconds,
        )
    print(bare.line())
    print(get_user.line())
    print(f"ratio (b)/(a): {get_user.qps / bare.qps:.1%}   goal: >= 50%")


@contextlib.contextmanager
def identity_database() -> Iterator[tuple[str, uuid.UUID, Any, str]]:
    """A migrated identity database on a throw-away embedded PostgreSQL with one ADMIN user:
    its URL, the user's id, fresh key material and an access token of that user."""
    import pgserver

    from services.kernel.embedded_postgres import to_asyncpg_url
    from services.kernel.enums import UserRoleEnum
    from services.kernel.migrations import upgrade_all
    from services.kernel.tokens import AccessTokenSigner, generate_key_material

    with tempfile.TemporaryDirectory(prefix="tagen-bench-") as data:
        pg = pgserver.get_server(data, cleanup_mode="stop")
        try:
            url = to_asyncpg_url(pg.get_uri())
            upgrade_all(url, ["identity"])
            user_id = asyncio.run(seed_user(url))
            keys = generate_key_material()
            assert keys.private_pem is not None
            token = AccessTokenSigner(keys.private_pem, "tagen-identity", 3600).issue(
                user_id, "bench", [UserRoleEnum.ADMIN]
            )
            yield url, user_id, keys, token
        finally:
            pg.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--in-flight", type=int, default=50)
    args = parser.parse_args()

    with identity_database() as (url, user_id, keys, token):
        ctx = mp.get_context("spawn")
        identity_ready = ctx.Event()
        identity_port = free_port()
        echo, echo_port = start_echo()
        procs = [
            echo,
            ctx.Process(
                target=run_identity,
                args=(
                    url,
                    (keys.private_pem, keys.public_pem, keys.service_secret),
                    identity_port,
                    identity_ready,
                ),
                daemon=True,
            ),
        ]
        procs[1].start()
        identity_ready.wait(30)
        try:
            asyncio.run(
                measure(echo_port, identity_port, token, user_id, args.seconds, args.in_flight)
            )
        finally:
            for p in procs:
                p.terminate()
                p.join(5)


if __name__ == "__main__":
    main()
