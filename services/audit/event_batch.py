"""A RecordEvents batch, checked event by event and turned into audit_logs rows, ready for one
INSERT ... SELECT * FROM unnest(<rows>). Any bad event refuses the whole batch, naming it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tagen.audit.v1 import audit_pb2 as pb

from services.kernel.enums import AuditAction
from services.kernel.errors import InvalidArgument

MAX_BATCH_EVENTS = 5000
ENTITY_TYPE_MAX = 64
IP_ADDRESS_MAX = 64
USER_AGENT_MAX = 512
#: Timestamp's own range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
_MIN_SECONDS, _MAX_SECONDS = -62135596800, 253402300799
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

#: AuditAction name by proto enum number.
_ACTION_BY_NUMBER: dict[int, str] = {pb.AuditAction.Value(a.value): a.value for a in AuditAction}

#: The audit_logs columns, in the table's order: an EventRow holds their values.
ROW_COLUMNS = (
    "id", "user_id", "action", "entity_type", "entity_id", "details",
    "ip_address", "user_agent", "correlation_id", "timestamp",
)  # fmt: skip
EventRow = tuple[
    str, str | None, str, str, str | None, str | None, str | None, str | None, str | None, datetime
]


@dataclass(frozen=True)
class EventBatch:
    """Valid events as audit_logs rows."""

    rows: list[EventRow]

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def ids(self) -> list[uuid.UUID]:
        return [uuid.UUID(row[0]) for row in self.rows]


class _BadEvent(Exception):
    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason


def _uuid(name: str, value: str) -> str | None:
    if not value:
        return None
    if not _UUID.fullmatch(value):
        raise _BadEvent(name, "is not a valid UUID")
    return value


def _text(name: str, value: str, max_length: int) -> str | None:
    if not value:
        return None
    if len(value) > max_length:
        raise _BadEvent(name, f"must be at most {max_length} characters")
    if "\x00" in value:
        raise _BadEvent(name, "must not contain NUL characters")
    return value


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not JSON")  # Python reads NaN and Infinity; PostgreSQL does not


#: One decoder for every event (json.loads with options builds a new one per call).
_JSON = json.JSONDecoder(parse_constant=_no_constants)


def _details(value: str) -> str | None:
    if not value:
        return None
    try:
        parsed = _JSON.decode(value)
    except ValueError:
        raise _BadEvent("details_json", "is not valid JSON") from None
    except RecursionError:
        raise _BadEvent("details_json", "is nested too deeply") from None
    if type(parsed) is not dict:
        raise _BadEvent("details_json", "must be a JSON object")
    if "\\u0000" in value:
        raise _BadEvent("details_json", "must not contain \\u0000")
    return value


def _occurred(
    event: pb.AuditEvent, now: datetime, seen: dict[tuple[int, int], datetime]
) -> datetime:
    """The event's time; `seen` holds the times already converted in this batch (the events
    of one transaction share their time)."""
    if not event.HasField("occurred_at"):
        return now
    occurred_at = event.occurred_at
    key = (occurred_at.seconds, occurred_at.nanos)
    known = seen.get(key)
    if known is not None:
        return known
    seconds, nanos = key
    if not (_MIN_SECONDS <= seconds <= _MAX_SECONDS and 0 <= nanos < 1_000_000_000):
        raise _BadEvent("occurred_at", "is not a valid timestamp")
    seen[key] = value = _EPOCH + timedelta(microseconds=seconds * 1_000_000 + nanos // 1000)
    return value


def _row(event: pb.AuditEvent, now: datetime, seen: dict[tuple[int, int], datetime]) -> EventRow:
    event_id = event.event_id
    if not event_id:
        raise _BadEvent("event_id", "is required")
    if not _UUID.fullmatch(event_id):
        raise _BadEvent("event_id", "is not a valid UUID")
    action = _ACTION_BY_NUMBER.get(event.action)
    if action is None:
        raise _BadEvent("action", f"unknown action {event.action}")
    entity_type = _text("entity_type", event.entity_type, ENTITY_TYPE_MAX)
    if entity_type is None:
        raise _BadEvent("entity_type", "is required")
    return (
        event_id,
        _uuid("user_id", event.user_id),
        action,
        entity_type,
        _uuid("entity_id", event.entity_id),
        _details(event.details_json),
        _text("ip_address", event.ip_address, IP_ADDRESS_MAX),
        _text("user_agent", event.user_agent, USER_AGENT_MAX),
        _uuid("correlation_id", event.correlation_id),
        _occurred(event, now, seen),
    )


def check_events(events: Sequence[pb.AuditEvent], *, now: datetime | None = None) -> EventBatch:
    """The batch as rows; InvalidArgument naming the first bad event (index and id).
    Events without occurred_at get `now` (the time of this call)."""
    if len(events) > MAX_BATCH_EVENTS:
        raise InvalidArgument(
            "events", f"at most {MAX_BATCH_EVENTS} events per batch, got {len(events)}"
        )
    received = now or datetime.now(UTC)
    rows: list[EventRow] = []
    append = rows.append
    seen: dict[tuple[int, int], datetime] = {}
    for index, event in enumerate(events):
        try:
            append(_row(event, received, seen))
        except _BadEvent as bad:
            named = f" (event_id {event.event_id[:64]})" if event.event_id else ""
            raise InvalidArgument(f"events[{index}].{bad.name}", bad.reason + named) from None
    return EventBatch(rows)
