"""The seed's BaseRepository API, built on advanced-alchemy's async repository.

Repositories flush, they never commit: the unit of work around a use case does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar

import asyncpg
from advanced_alchemy import exceptions as aa
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import Select, func, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from services.kernel.errors import AlreadyExists, InvalidArgument

ModelT = TypeVar("ModelT", bound=DeclarativeBase)

MAX_PAGE_SIZE = 1000


@cache
def _library_repository(model: type[Any]) -> type[SQLAlchemyAsyncRepository[Any]]:
    return type(
        f"{model.__name__}LibraryRepository", (SQLAlchemyAsyncRepository,), {"model_type": model}
    )


class BaseRepository(Generic[ModelT]):
    """Generic CRUD over one model: get_by_id, get_all, create, update, delete, exists, count."""

    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._library: SQLAlchemyAsyncRepository[Any] | None = None

    @property
    def library(self) -> SQLAlchemyAsyncRepository[Any]:
        """advanced-alchemy's repository over the same session (built on first use)."""
        if self._library is None:
            self._library = _library_repository(self.model)(
                session=self.session, auto_commit=False, auto_refresh=True
            )
        return self._library

    async def get_by_id(self, id: uuid.UUID) -> ModelT | None:
        """The row with this primary key, or None."""
        return await self.session.get(self.model, id)

    async def get_all(
        self,
        skip: int = 0,
        limit: int = 100,
        *,
        filters: Mapping[str, Any] | None = None,
        order_by: str | None = None,
        desc: bool = False,
    ) -> list[ModelT]:
        """A page of rows, optionally filtered and ordered."""
        check_page(skip, limit)
        query = self._apply_filters(select(self.model), filters)
        query = self._apply_ordering(query, order_by or "id", desc)
        result = await self.session.scalars(query.offset(skip).limit(limit))
        return list(result.all())

    async def create(self, data: Mapping[str, Any]) -> ModelT:
        """Insert a row from a dict of column values."""
        instance = self.model(**dict(data))
        with unique_violation_as_already_exists(self.model.__name__):
            return await self.library.add(instance)  # type: ignore[no-any-return]

    async def update(self, id: uuid.UUID, data: Mapping[str, Any]) -> ModelT | None:
        """Change the given columns of a row; None when it does not exist."""
        instance = await self.get_by_id(id)
        if instance is None:
            return None
        for key, value in data.items():
            self._column(key)
            setattr(instance, key, value)
        with unique_violation_as_already_exists(self.model.__name__):
            return await self.library.update(instance)  # type: ignore[no-any-return]

    async def delete(self, id: uuid.UUID) -> bool:
        """Delete a row; False when it did not exist."""
        instance = await self.get_by_id(id)
        if instance is None:
            return False
        await self.session.delete(instance)
        await self.session.flush()
        return True

    async def exists(self, id: uuid.UUID) -> bool:
        query = select(func.count()).select_from(self.model).where(self.model.id == id)
        return bool(await self.session.scalar(query))

    async def count(self, filters: Mapping[str, Any] | None = None) -> int:
        query = self._apply_filters(select(func.count()).select_from(self.model), filters)
        return int(await self.session.scalar(query) or 0)

    def _column(self, name: str) -> Any:
        column = getattr(self.model, name, None)
        if column is None or not hasattr(column, "property"):
            raise InvalidArgument(name, f"{self.model.__name__} has no such field")
        return column

    def _apply_filters(self, query: Select[Any], filters: Mapping[str, Any] | None) -> Select[Any]:
        """WHERE clauses from a dict: a list means IN, None means IS NULL, else equality."""
        for name, value in (filters or {}).items():
            column = self._column(name)
            if value is None:
                query = query.where(column.is_(None))
            elif isinstance(value, list | tuple | set | frozenset):
                query = query.where(column.in_(list(value)))
            else:
                query = query.where(column == value)
        return query

    def _apply_ordering(
        self, query: Select[Any], order_by: str | Sequence[str] | None, desc: bool = False
    ) -> Select[Any]:
        """ORDER BY one or more columns, ascending or descending; the id breaks ties."""
        if not order_by:
            return query
        names = [order_by] if isinstance(order_by, str) else list(order_by)
        for name in names:
            column = self._column(name)
            query = query.order_by(column.desc() if desc else column.asc())
        if "id" not in names:
            query = query.order_by(self.model.id.desc() if desc else self.model.id.asc())
        return query


@contextmanager
def unique_violation_as_already_exists(entity: str) -> Iterator[None]:
    """A unique-constraint violation becomes AlreadyExists naming the constraint."""
    try:
        yield
    except (aa.IntegrityError, sa_exc.IntegrityError) as exc:
        cause: BaseException | None = exc
        while cause is not None:
            orig = getattr(cause, "orig", None) or cause.__cause__
            if isinstance(orig, asyncpg.UniqueViolationError):
                constraint = getattr(orig, "constraint_name", None) or "unique key"
                raise AlreadyExists(f"{entity} already exists ({constraint})") from exc
            cause = orig
        raise


def check_page(skip: int, limit: int) -> None:
    if skip < 0:
        raise InvalidArgument("skip", "must not be negative")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidArgument("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
