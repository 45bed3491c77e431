"""A real PostgreSQL for the test session: TEST_DATABASE_URL, testcontainers when a Docker
engine answers, otherwise the embedded pgserver."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import sqlalchemy as sa

from services.kernel.embedded_postgres import EmbeddedPostgres, to_asyncpg_url


def _docker_reachable() -> bool:
    if not (os.path.exists("/var/run/docker.sock") or os.environ.get("DOCKER_HOST")):
        return False
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


def _per_worker(url: str) -> str:
    """A database of its own for each xdist worker on a shared server."""
    name = f"tagen_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    server = sa.make_url(url)

    async def create() -> None:
        conn = await asyncpg.connect(server.set(drivername="postgresql").render_as_string(False))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return server.set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def test_database() -> Iterator[str]:
    """Yields an asyncpg SQLAlchemy URL of an empty database."""
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        yield _per_worker(to_asyncpg_url(explicit))
        return
    if _docker_reachable():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("pgvector/pgvector:pg16", driver="asyncpg") as container:
            yield container.get_connection_url()
        return
    # Stopped at the end of the session, and by its watchdog if this worker is killed.
    with tempfile.TemporaryDirectory(prefix="tagen-pg-") as data_dir:
        server = EmbeddedPostgres(Path(data_dir))
        try:
            yield server.start()
        finally:
            server.stop()


@contextlib.contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new empty database on the same server, dropped afterwards (migration tests)."""
    server = sa.make_url(url)
    name = f"tagen_scratch_{uuid.uuid4().hex[:12]}"
    plain = server.set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
