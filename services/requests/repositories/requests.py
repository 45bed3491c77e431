"""RequestRepository: the seed's request queries and the guarded status change."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy import Select, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import selectinload

from services.kernel.driver_query import DriverQuery
from services.kernel.repository import BaseRepository, check_page
from services.requests import lifecycle
from services.requests.enums import RequestStatus
from services.requests.models import AuditOutbox, LogSample, Request


def like_pattern(text: str) -> str:
    """A substring pattern for ILIKE with %, _ and \\ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_CREATED_COLUMNS = (
    "id",
    "created_by",
    "status",
    "source_system",
    "description",
    "cim_required",
    "metadata",
)
_EVENT_COLUMNS = (
    "id",
    "user_id",
    "action",
    "entity_type",
    "entity_id",
    "details",
    "ip_address",
    "user_agent",
    "correlation_id",
    "traceparent",
)


def _insert_with_event() -> Select[Any]:
    """INSERT the request and its audit event in one statement."""
    requests, events = Request.__table__, AuditOutbox.__table__
    new_request = (
        insert(requests)
        .values({name: bindparam(f"r_{name}") for name in _CREATED_COLUMNS})
        .returning(*requests.c)
        .cte("new_request")
    )
    new_event = (
        insert(events)
        .values({name: bindparam(f"e_{name}") for name in _EVENT_COLUMNS})
        .returning(events.c.id)
        .cte("new_event")
    )
    return select(new_request).add_cte(new_event)


_INSERT_WITH_EVENT = DriverQuery(_insert_with_event())


class RequestWrites:
    """The hot write of requests on a driver connection: one compiled statement, no ORM session."""

    def __init__(self, connection: asyncpg.Connection | AsyncConnection) -> None:
        self.connection = connection

    async def create_with_audit_event(
        self, values: Mapping[str, Any], event: Mapping[str, Any]
    ) -> Request:
        """Insert a new request and its outbox event in one round trip (the hot path of
        CreateRequest). `values` uses attribute names; the result is a detached Request."""
        params = {f"e_{name}": event.get(name) for name in _EVENT_COLUMNS}
        for name in _CREATED_COLUMNS:
            attribute = "request_metadata" if name == "metadata" else name
            params[f"r_{name}"] = values.get(attribute)
        row = await _INSERT_WITH_EVENT.fetch_one(self.connection, **params)
        assert row is not None
        row["request_metadata"] = row.pop("metadata")
        return Request(**row)


class RequestRepository(BaseRepository[Request]):
    model = Request

    async def lock(self, request_id: uuid.UUID) -> Request | None:
        """The request, its row locked until the transaction ends (SELECT ... FOR UPDATE)."""
        return await self.session.scalar(
            select(Request)
            .where(Request.id == request_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def get_by_user(
        self,
        user_id: uuid.UUID,
        skip: int = 0,
        limit: int = 100,
        status: RequestStatus | None = None,
    ) -> list[Request]:
        """Requests created by `user_id`, newest first."""
        return await self.search_requests("", status, skip, limit, created_by=user_id)

    async def get_pending_approval(self, skip: int = 0, limit: int = 100) -> list[Request]:
        """Requests waiting for an approver, oldest first (index (status, created_at))."""
        check_page(skip, limit)
        stmt = (
            select(Request)
            .where(Request.status == RequestStatus.PENDING_APPROVAL)
            .order_by(Request.created_at, Request.id)
            .offset(skip)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def change_status(
        self,
        request_id: uuid.UUID,
        expected: RequestStatus,
        target: RequestStatus,
        **values: Any,
    ) -> Request | None:
        """Move the request from `expected` to `target` in one conditional UPDATE.

        Returns the updated request, or None when it does not exist or is no longer in
        `expected` (someone else changed it first: nothing is written then)."""
        lifecycle.transition(expected, target)
        stmt = (
            update(Request)
            .where(Request.id == request_id, Request.status == expected)
            .values(status=target, **values)
            .returning(Request)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def approve_request(
        self, request_id: uuid.UUID, approver_id: uuid.UUID
    ) -> Request | None:
        """PENDING_APPROVAL -> APPROVED with approved_by/approved_at; None when not pending."""
        return await self.change_status(
            request_id,
            RequestStatus.PENDING_APPROVAL,
            RequestStatus.APPROVED,
            **lifecycle.stamps(RequestStatus.APPROVED, actor_id=approver_id),
        )

    async def reject_request(self, request_id: uuid.UUID, reason: str) -> Request | None:
        """PENDING_APPROVAL -> REJECTED with the reason; None when not pending."""
        return await self.change_status(
            request_id,
            RequestStatus.PENDING_APPROVAL,
            RequestStatus.REJECTED,
            **lifecycle.stamps(RequestStatus.REJECTED, rejection_reason=reason),
        )

    async def get_full_details(self, request_id: uuid.UUID) -> Request | None:
        """The request with its live log samples and all TA revisions loaded (no lazy loads)."""
        stmt = (
            select(Request)
            .where(Request.id == request_id)
            .options(
                selectinload(Request.log_samples.and_(LogSample.deleted_at.is_(None))),
                selectinload(Request.ta_revisions),
            )
            .execution_options(populate_existing=True)
        )
        return await self.session.scalar(stmt)

    def _search(
        self, query: str, status: RequestStatus | None, created_by: uuid.UUID | None
    ) -> Select[tuple[Request]]:
        stmt = select(Request)
        if query:
            pattern = like_pattern(query)
            stmt = stmt.where(
                or_(
                    Request.source_system.ilike(pattern, escape="\\"),
                    Request.description.ilike(pattern, escape="\\"),
                )
            )
        if status is not None:
            stmt = stmt.where(Request.status == status)
        if created_by is not None:
            stmt = stmt.where(Request.created_by == created_by)
        return stmt

    async def search_requests(
        self,
        query: str,
        status: RequestStatus | None = None,
        skip: int = 0,
        limit: int = 100,
        *,
        created_by: uuid.UUID | None = None,
    ) -> list[Request]:
        """Requests whose source_system or description contains `query` (case-insensitive),
        optionally in one status and/or of one creator, newest first."""
        check_page(skip, limit)
        stmt = (
            self._search(query, status, created_by)
            .order_by(Request.created_at.desc(), Request.id.desc())
            .offset(skip)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def get_statistics(self) -> dict[str, int]:
        """The number of requests in each status; every status is present, zeros included."""
        rows = await self.session.execute(
            select(Request.status, func.count()).group_by(Request.status)
        )
        counts = {status.value: 0 for status in RequestStatus}
        for status, count in rows:
            counts[RequestStatus(status).value] = int(count)
        return counts
