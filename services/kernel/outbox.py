"""The audit outbox: each context writes its audit events in the same transaction as the
change they record; a relay ships them to the audit service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.kernel.call_context import current_call
from services.kernel.enums import AuditAction
from services.kernel.tracing import current_traceparent


class AuditOutboxMixin:
    """Columns of a context's `audit_outbox` table (one event per row, in commit order)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    """The event's own id: the audit service stores each id once."""
    seq: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(always=True), unique=True)
    """Delivery order."""
    occurred_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )
    """When the change happened (UTC)."""
    user_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """Who acted; None for system actions."""
    action: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    """An AuditAction name."""
    entity_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    """Kind of the changed entity, e.g. 'request'."""
    entity_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """Id of the changed entity."""
    details: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    """What changed (JSON object)."""
    ip_address: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    """Client IP address."""
    user_agent: Mapped[str | None] = mapped_column(sa.String(512), nullable=True)
    """Client user agent."""
    correlation_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The x-request-id of the call that caused the change."""
    traceparent: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    """The W3C traceparent of the span that made the change (None when tracing was off): the
    relay links its delivery span to it."""


class AuditRecorder:
    """Adds audit events to a context's outbox inside the caller's transaction."""

    def __init__(self, model: type[AuditOutboxMixin]) -> None:
        self.model = model

    def record(
        self,
        session: AsyncSession,
        action: AuditAction,
        entity_type: str,
        entity_id: uuid.UUID | None,
        details: dict[str, Any] | None = None,
        *,
        user_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        event = self.model(
            **self.event_values(action, entity_type, entity_id, details, user_id=user_id)
        )
        session.add(event)
        return event.id

    def event_values(
        self,
        action: AuditAction,
        entity_type: str,
        entity_id: uuid.UUID | None,
        details: dict[str, Any] | None = None,
        *,
        user_id: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        """The outbox columns of an event (who, from where, under which correlation id and
        trace), for `record` and for callers that insert the event in the same statement as
        the change."""
        call = current_call()
        actor = user_id
        if actor is None and call.principal is not None:
            actor = call.principal.user_id
        return {
            "id": uuid.uuid4(),
            "user_id": actor,
            "action": AuditAction(action).value,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "details": details,
            "ip_address": call.ip_address,
            "user_agent": call.user_agent,
            "correlation_id": call.correlation_id,
            "traceparent": current_traceparent(),
        }
