"""The audit migration history: up, down and up again, and in agreement with the models."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from services.audit.models import WRITER_ROLE, AuditBase
from services.kernel.migrations import downgrade, upgrade


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[str]:
    """A database of its own on the test server, dropped afterwards."""
    name = f"audit_migrations_{uuid.uuid4().hex[:12]}"
    server = create_async_engine(database_url, isolation_level="AUTOCOMMIT")
    async with server.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with server.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await server.dispose()


def _ours(name: str | None, type_: str, parent_names: object) -> bool:
    if type_ == "schema":
        return name == "audit"
    return not (type_ == "table" and name == "alembic_version")


def _diff(connection: sa.Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"include_schemas": True, "include_name": _ours, "compare_type": True}
    )
    return list(compare_metadata(context, AuditBase.metadata))


async def _state(url: str) -> tuple[bool, list[object]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            exists = bool(await conn.scalar(sa.text("SELECT to_regclass('audit.audit_logs')")))
            diff = await conn.run_sync(_diff) if exists else []
            return exists, diff
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_and_models_agree(empty_database: str):
    await asyncio.to_thread(upgrade, "audit", empty_database)
    assert await _state(empty_database) == (True, [])
    await asyncio.to_thread(downgrade, "audit", empty_database)
    assert (await _state(empty_database))[0] is False
    await asyncio.to_thread(upgrade, "audit", empty_database)
    assert await _state(empty_database) == (True, [])


async def test_the_writer_role_may_only_insert_and_select(database_url: str):
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT privilege_type FROM information_schema.role_table_grants "
                    "WHERE grantee = :role AND table_schema = 'audit' "
                    "AND table_name = 'audit_logs'"
                ),
                {"role": WRITER_ROLE},
            )
            assert sorted(r[0] for r in rows) == ["INSERT", "SELECT"]
            can_login = await conn.scalar(
                sa.text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": WRITER_ROLE}
            )
            assert can_login is False
            owner = await conn.scalar(
                sa.text(
                    "SELECT tableowner FROM pg_tables "
                    "WHERE schemaname = 'audit' AND tablename = 'audit_logs'"
                )
            )
            assert owner != WRITER_ROLE
    finally:
        await engine.dispose()
