"""Hot read paths: a SQLAlchemy statement compiled once and run on the asyncpg driver."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection


class DriverQuery:
    """The statement stays written in SQLAlchemy; only the per-call overhead goes away."""

    def __init__(self, statement: Select[Any]) -> None:
        compiled = statement.compile(dialect=asyncpg_dialect())
        self.sql = str(compiled)
        self.parameters = list(compiled.positiontup or ())

    async def fetch_one(
        self, connection: AsyncConnection, **values: Any
    ) -> Mapping[str, Any] | None:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        record = await driver.fetchrow(self.sql, *(values[name] for name in self.parameters))
        return None if record is None else dict(record)
