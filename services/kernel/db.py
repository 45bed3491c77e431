"""Async engine, session factory and the unit of work every use case runs in."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import greenlet_spawn

from services.kernel.metrics import DB_POOL_WAIT, POOLS
from services.kernel.settings import Settings

log = logging.getLogger(__name__)


def create_engine(settings: Settings, *, url: str | None = None) -> AsyncEngine:
    """An asyncpg engine with the pool settings of the seed."""
    return create_async_engine(
        url or settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        echo=settings.database_echo,
        pool_pre_ping=False,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def check_db_connection(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("database check failed: %s", exc)
        return False
    return True


async def init_db(engine: AsyncEngine, metadata: MetaData) -> None:
    """Development shortcut: create the context's schema and tables without migrations."""
    async with engine.begin() as conn:
        if metadata.schema:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{metadata.schema}"'))
        await conn.run_sync(metadata.create_all)


async def dispose_engine(engine: AsyncEngine) -> None:
    await engine.dispose()


@dataclass(frozen=True)
class Database:
    """The engine and session factory of one context."""

    engine: AsyncEngine
    autocommit_engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    readers: async_sessionmaker[AsyncSession]
    driver_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))
    """As many as the pool holds: callers of reader/single_statement queue here, on a
    plain future, instead of inside the pool (a task and a timer per waiter)."""
    name: str = ""
    """The context the database serves (the `service` label of its pool metrics)."""

    def __post_init__(self) -> None:
        # The wait of each statement for a pooled connection (tagen_db_pool_wait_seconds).
        object.__setattr__(self, "_pool_wait", DB_POOL_WAIT.labels(self.name or "unnamed"))
        if self.name:
            POOLS.watch(self.name, self.engine)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, url: str | None = None, name: str = ""
    ) -> Database:
        engine = create_engine(settings, url=url)
        # Reads run in autocommit on the same pool: no BEGIN/ROLLBACK round trips.
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        return cls(
            engine=engine,
            autocommit_engine=autocommit,
            sessions=create_session_factory(engine),
            readers=create_session_factory(autocommit),
            driver_slots=asyncio.Semaphore(
                settings.database_pool_size + settings.database_max_overflow
            ),
            name=name,
        )

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends normally, rolled back otherwise."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[AsyncSession]:
        """A session for reads outside a transaction (each statement sees committed data)."""
        async with self.readers() as session:
            yield session

    @asynccontextmanager
    async def _driver(self) -> AsyncIterator[asyncpg.Connection]:
        """The asyncpg connection of a pooled connection, borrowed from the engine's pool and
        given back to it. Nothing opens a transaction on it, so each statement runs in
        autocommit. One greenlet switch for the check-out instead of an AsyncConnection's
        three and its shielded close task: the hot paths pay for the pool, not the wrappers."""
        asked = time.perf_counter()
        async with self.driver_slots:
            pooled = await greenlet_spawn(self.engine.sync_engine.raw_connection)
            self._pool_wait.observe(time.perf_counter() - asked)  # type: ignore[attr-defined]
            try:
                driver = pooled.driver_connection
                assert driver is not None
                yield driver
            except asyncpg.PostgresError:
                raise  # the statement failed; the connection is fine
            except BaseException:
                # Cancelled mid-statement or the connection broke: do not reuse it.
                pooled.invalidate()
                raise
            finally:
                pooled.close()

    #: A connection for a use case that writes with exactly one statement (a DriverQuery):
    #: PostgreSQL makes that statement atomic by itself, so no BEGIN/COMMIT round trips (and
    #: no ORM session) are spent on it.
    single_statement = _driver

    #: A connection for hot single-statement reads (a DriverQuery; no ORM session).
    reader = _driver

    async def dispose(self) -> None:
        await dispose_engine(self.engine)
