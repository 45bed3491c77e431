"""Hot statements: written in SQLAlchemy, compiled once, run on the asyncpg driver.

A `DriverQuery` keeps what SQLAlchemy would do per call - the bind processors of its
parameters (JSONB values become JSON text for the dialect's asyncpg codecs, enums their
names) and the result processors of its columns (enum names back to enums) - and drops
the rest (statement cache lookups, result objects, greenlet switches).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

_DIALECT = asyncpg_dialect()

Processor = Callable[[Any], Any] | None


class DriverQuery:
    """A SELECT, or an INSERT/UPDATE ... RETURNING, that yields at most one row."""

    def __init__(self, statement: Executable) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        self.sql = str(compiled)
        self.parameters: list[str] = list(compiled.positiontup or ())
        self._binders: list[Processor] = [
            compiled.binds[name].type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
            for name in self.parameters
        ]
        columns = list(statement.selected_columns)  # type: ignore[attr-defined]
        #: The keys of a result row, in select order (the columns' keys, e.g. "metadata").
        self.columns: list[str] = [column.key for column in columns]
        self._results: list[Processor] = [
            column.type.dialect_impl(_DIALECT).result_processor(_DIALECT, None)
            for column in columns
        ]

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        """The positional driver arguments of named parameter values, bind-processed."""
        return [
            value if bind is None else bind(value)
            for bind, value in zip(
                self._binders, (values[name] for name in self.parameters), strict=True
            )
        ]

    async def fetch_one(
        self, connection: asyncpg.Connection | AsyncConnection, **values: Any
    ) -> dict[str, Any] | None:
        """The one row (column key -> result-processed value), or None. `connection` is a
        driver connection (Database.reader / single_statement) or a SQLAlchemy one (its
        transaction, e.g. a unit of work's)."""
        if isinstance(connection, AsyncConnection):
            raw = await connection.get_raw_connection()
            connection = raw.driver_connection
            assert connection is not None
        record = await connection.fetchrow(self.sql, *self.arguments(values))
        if record is None:
            return None
        return {
            key: value if process is None else process(value)
            for key, process, value in zip(self.columns, self._results, record, strict=True)
        }
