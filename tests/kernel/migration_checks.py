"""Reusable checks that a context's Alembic history matches its models."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from services.kernel import migrations


def schema_differences(url: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would change: empty when models and migrations agree."""
    schema = metadata.schema

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        return name == schema if type_ == "schema" else True

    async def diff() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:

                def compare(sync_conn: Any) -> list[Any]:
                    ctx = MigrationContext.configure(
                        sync_conn,
                        opts={
                            "include_schemas": True,
                            "include_name": include_name,
                            "compare_type": True,
                            "version_table_schema": schema,
                        },
                    )
                    return list(compare_metadata(ctx, metadata))

                return await conn.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(diff())


def _rows(url: str, sql: str, schema: str) -> list[asyncpg.Record]:
    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def fetch() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(plain)
        try:
            return list(await conn.fetch(sql, schema))
        finally:
            await conn.close()

    return asyncio.run(fetch())


def table_names(url: str, schema: str) -> set[str]:
    sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = $1"
    return {r["table_name"] for r in _rows(url, sql, schema)}


def enum_type_names(url: str, schema: str) -> set[str]:
    sql = (
        "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = $1 AND t.typtype = 'e'"
    )
    return {r["typname"] for r in _rows(url, sql, schema)}


def index_definitions(url: str, schema: str) -> dict[str, str]:
    sql = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1"
    return {r["indexname"]: r["indexdef"] for r in _rows(url, sql, schema)}


def check_round_trip(url: str, context: str, metadata: MetaData) -> None:
    """upgrade -> models agree -> downgrade leaves nothing but the version table -> upgrade."""
    migrations.upgrade(context, url)
    assert schema_differences(url, metadata) == []
    expected = {t.name for t in metadata.tables.values()}
    assert expected <= table_names(url, context)
    migrations.downgrade(context, url, "base")
    assert table_names(url, context) <= {"alembic_version"}
    migrations.upgrade(context, url)
    assert expected <= table_names(url, context)
