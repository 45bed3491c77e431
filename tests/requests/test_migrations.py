"""The requests migration history: upgrade, downgrade, upgrade again, and agreement with the
models (alembic compare_metadata finds no difference)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from services.kernel import migrations
from services.requests.models import SCHEMA, RequestsBase


def _admin_url(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def scratch_url(database_url: str) -> Iterator[str]:
    """An empty database of its own on the test server."""
    name = f"requests_scratch_{uuid.uuid4().hex[:8]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(_admin_url(database_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield sa.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def differences(url: str) -> list[Any]:
    def include_name(name: str | None, type_: str, parent: Any) -> bool:
        if type_ == "schema":
            return name == SCHEMA
        return not (type_ == "table" and name == "alembic_version")

    def compare(conn: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(
            conn,
            opts={"include_schemas": True, "include_name": include_name, "compare_type": True},
        )
        return list(compare_metadata(context, RequestsBase.metadata))

    async def main() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def tables(url: str) -> set[str]:
    async def main() -> set[str]:
        conn = await asyncpg.connect(_admin_url(url))
        try:
            rows = await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
                SCHEMA,
            )
            types = await conn.fetch(
                "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = $1 AND t.typtype = 'e'",
                SCHEMA,
            )
        finally:
            await conn.close()
        return {r["table_name"] for r in rows} | {f"enum:{r['typname']}" for r in types}

    return asyncio.run(main())


EXPECTED = {
    "requests",
    "log_samples",
    "ta_revisions",
    "audit_outbox",
    "alembic_version",
    "enum:request_status",
    "enum:ta_revision_type",
}


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    migrations.upgrade("requests", scratch_url)
    assert tables(scratch_url) == EXPECTED
    assert differences(scratch_url) == []
    migrations.downgrade("requests", scratch_url)
    assert tables(scratch_url) == {"alembic_version"}
    assert len(differences(scratch_url)) >= 4  # the comparison does see missing tables
    migrations.upgrade("requests", scratch_url)
    assert tables(scratch_url) == EXPECTED
    assert differences(scratch_url) == []


def test_models_and_migrations_agree_on_the_test_database(database_url: str) -> None:
    assert differences(database_url) == []
