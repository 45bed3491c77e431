"""Database.reader / single_statement: driver connections borrowed from the engine's pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.kernel.db import Database
from services.kernel.settings import Settings


@pytest.fixture
async def small_db(settings: Settings) -> AsyncIterator[Database]:
    db = Database.from_settings(
        settings.model_copy(update={"database_pool_size": 1, "database_max_overflow": 0})
    )
    yield db
    await db.dispose()


async def test_statements_run_in_autocommit_and_the_connection_goes_back(
    small_db: Database,
) -> None:
    async with small_db.single_statement() as connection:
        assert not connection.is_in_transaction()
        first = await connection.fetchval("SELECT pg_backend_pid()")
    async with small_db.reader() as connection:
        assert await connection.fetchval("SELECT pg_backend_pid()") == first
    assert small_db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_failed_statement_keeps_the_connection(small_db: Database) -> None:
    async with small_db.reader() as connection:
        first = await connection.fetchval("SELECT pg_backend_pid()")
    with pytest.raises(asyncpg.DivisionByZeroError):
        async with small_db.reader() as connection:
            await connection.fetchval("SELECT 1 / 0")
    async with small_db.reader() as connection:
        assert await connection.fetchval("SELECT pg_backend_pid()") == first


async def test_a_cancelled_statement_discards_the_connection(small_db: Database) -> None:
    async with small_db.reader() as connection:
        first = await connection.fetchval("SELECT pg_backend_pid()")

    async def slow() -> None:
        async with small_db.reader() as connection:
            await connection.execute("SELECT pg_sleep(5)")

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert small_db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with small_db.reader() as connection:
        second = await connection.fetchval("SELECT pg_backend_pid()")
        assert second != first and await connection.fetchval("SELECT 1") == 1
