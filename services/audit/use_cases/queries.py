"""Reading the trail: the filtered, paginated list and the recent activity."""

from __future__ import annotations

from services.audit.models import AuditLog
from services.audit.paging import Cursor, KeysetPage
from services.audit.repositories import AuditLogFilter, AuditLogRepository
from services.kernel.db import Database
from services.kernel.errors import InvalidArgument

MAX_HOURS = 24 * 365
DEFAULT_HOURS = 24
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class QueryUseCases:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list_logs(
        self, filters: AuditLogFilter, page: KeysetPage
    ) -> tuple[list[AuditLog], str]:
        """One page newest first, and the token of the next page ("" after the last)."""
        if filters.start and filters.end and filters.start >= filters.end:
            raise InvalidArgument("end_time", "must be after start_time")
        async with self.db.read_only() as session:
            rows = await AuditLogRepository(session).search(
                filters, after=page.after, limit=page.size + 1
            )
        if len(rows) <= page.size:
            return rows, ""
        last = rows[page.size - 1]
        return rows[: page.size], Cursor(last.timestamp, last.id).token()

    async def recent_activity(self, hours: int, limit: int) -> list[AuditLog]:
        """The newest events of the last `hours` (0 means 24), at most `limit` (0 means 50)."""
        hours = hours or DEFAULT_HOURS
        limit = limit or DEFAULT_LIMIT
        if not 1 <= hours <= MAX_HOURS:
            raise InvalidArgument("hours", f"must be between 1 and {MAX_HOURS}")
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidArgument("limit", f"must be between 1 and {MAX_LIMIT}")
        async with self.db.read_only() as session:
            return await AuditLogRepository(session).get_recent_activity(hours, limit)
