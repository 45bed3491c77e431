"""AuditLogRepository: the seed's audit queries, the filtered trail and the bulk ingest."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import Select, select, text, tuple_

from services.audit.event_batch import ROW_COLUMNS, EventBatch
from services.audit.models import AuditLog
from services.audit.paging import Cursor
from services.kernel.enums import AuditAction
from services.kernel.errors import Aborted, FailedPrecondition, InvalidArgument
from services.kernel.repository import BaseRepository, check_page

#: One statement per batch: the rows travel as one array of the table's own row type (binary,
#: no per-row round trip); an id already stored is skipped.
_INSERT_EVENTS = text(
    "INSERT INTO audit.audit_logs "
    "SELECT * FROM unnest(CAST(:rows AS audit.audit_logs[])) "
    "ON CONFLICT (id) DO NOTHING"
)


@dataclass(frozen=True)
class AuditLogFilter:
    """Filters of the trail; None means 'any'. start is inclusive, end exclusive."""

    entity_type: str | None = None
    entity_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    action: AuditAction | None = None
    correlation_id: uuid.UUID | None = None
    start: datetime | None = None
    end: datetime | None = None


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(AuditLog.timestamp.desc(), AuditLog.id.desc())


class AuditLogRepository(BaseRepository[AuditLog]):
    model = AuditLog

    async def create_log(
        self,
        user_id: uuid.UUID | None,
        action: AuditAction,
        entity_type: str,
        entity_id: uuid.UUID | None = None,
        details: dict[str, Any] | None = None,
        ip_address: str | None = None,
        user_agent: str | None = None,
        correlation_id: uuid.UUID | None = None,
        *,
        id: uuid.UUID | None = None,
        timestamp: datetime | None = None,
    ) -> AuditLog:
        """Append one event (the seed's call); `id` and `timestamp` default to new / now."""
        log = AuditLog(
            id=id or uuid.uuid4(),
            user_id=user_id,
            action=AuditAction(action),
            entity_type=entity_type,
            entity_id=entity_id,
            details=details,
            ip_address=ip_address,
            user_agent=user_agent,
            correlation_id=correlation_id,
        )
        if timestamp is not None:
            log.timestamp = timestamp
        self.session.add(log)
        await self.session.flush()
        return log

    async def insert_events(self, batch: EventBatch) -> int:
        """Store a checked batch; returns how many were new (an id already stored is skipped).

        Fast path: one COPY of the whole batch inside a savepoint, as cheap as a raw COPY.
        When an id is already stored (a redelivery) the COPY fails as a whole, the savepoint
        is rolled back, and one INSERT ... ON CONFLICT (id) DO NOTHING stores the new ones."""
        if not len(batch):
            return 0
        try:
            async with self.session.begin_nested():  # the SAVEPOINT also opens the transaction
                driver = await self._driver_connection()
                await driver.copy_records_to_table(
                    "audit_logs", schema_name="audit", columns=ROW_COLUMNS, records=batch.rows
                )
            return len(batch)
        except asyncpg.UniqueViolationError:
            result = await self.session.execute(_INSERT_EVENTS, {"rows": batch.rows})
            return int(result.rowcount)  # type: ignore[attr-defined]
        except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError) as exc:
            # What the checks before did not catch and the database refused.
            raise InvalidArgument("events", str(exc).split("\n")[0]) from exc
        except asyncpg.TransactionRollbackError as exc:  # two batches sharing ids, crosswise
            raise Aborted("a concurrent batch holds some of these events; retry") from exc

    async def _driver_connection(self) -> asyncpg.Connection:
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
        return driver

    async def get_by_entity(
        self, entity_type: str, entity_id: uuid.UUID, skip: int = 0, limit: int = 100
    ) -> list[AuditLog]:
        """The trail of one entity, newest first."""
        return await self.search(
            AuditLogFilter(entity_type=entity_type, entity_id=entity_id), skip=skip, limit=limit
        )

    async def get_by_user(
        self, user_id: uuid.UUID, skip: int = 0, limit: int = 100
    ) -> list[AuditLog]:
        """What one user did, newest first."""
        return await self.search(AuditLogFilter(user_id=user_id), skip=skip, limit=limit)

    async def get_by_correlation_id(
        self, correlation_id: uuid.UUID, limit: int = 1000
    ) -> list[AuditLog]:
        """Every event one call caused (across services), oldest first."""
        check_page(0, limit)
        query = (
            select(AuditLog)
            .where(AuditLog.correlation_id == correlation_id)
            .order_by(AuditLog.timestamp, AuditLog.id)
            .limit(limit)
        )
        return list((await self.session.scalars(query)).all())

    async def get_recent_activity(
        self, hours: int = 24, limit: int = 50, *, now: datetime | None = None
    ) -> list[AuditLog]:
        """The newest `limit` events of the `hours` hours up to `now` (default: the present)."""
        check_page(0, limit)
        until = now or datetime.now(UTC)
        window = AuditLogFilter(start=until - timedelta(hours=hours), end=until)
        return await self.search(window, limit=limit)

    async def search(
        self,
        filters: AuditLogFilter,
        *,
        after: Cursor | None = None,
        skip: int = 0,
        limit: int = 100,
    ) -> list[AuditLog]:
        """Events matching every set filter, newest first; `after` continues a keyset page."""
        check_page(skip, limit)
        query = select(AuditLog)
        if filters.entity_type is not None:
            query = query.where(AuditLog.entity_type == filters.entity_type)
        if filters.entity_id is not None:
            query = query.where(AuditLog.entity_id == filters.entity_id)
        if filters.user_id is not None:
            query = query.where(AuditLog.user_id == filters.user_id)
        if filters.action is not None:
            query = query.where(AuditLog.action == filters.action)
        if filters.correlation_id is not None:
            query = query.where(AuditLog.correlation_id == filters.correlation_id)
        if filters.start is not None:
            query = query.where(AuditLog.timestamp >= filters.start)
        if filters.end is not None:
            query = query.where(AuditLog.timestamp < filters.end)
        if after is not None:
            query = query.where(
                tuple_(AuditLog.timestamp, AuditLog.id) < tuple_(after.timestamp, after.id)
            )
        query = _newest_first(query).offset(skip).limit(limit)
        return list((await self.session.scalars(query)).all())

    async def update(self, id: uuid.UUID, data: Any) -> AuditLog | None:
        """Refused: the trail is append-only (the database refuses it too)."""
        raise FailedPrecondition("audit logs are append-only; they cannot be updated")

    async def delete(self, id: uuid.UUID) -> bool:
        """Refused: the trail is append-only (the database refuses it too)."""
        raise FailedPrecondition("audit logs are append-only; they cannot be deleted")
