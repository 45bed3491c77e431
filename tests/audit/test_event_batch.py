"""Checking a RecordEvents batch, without a database."""

import uuid
from datetime import UTC, datetime

import pytest
from tagen.audit.v1 import audit_pb2 as pb

from services.audit.event_batch import MAX_BATCH_EVENTS, ROW_COLUMNS, check_events
from services.audit.models import AuditLog
from services.kernel.errors import InvalidArgument
from tests.audit.conftest import event


def test_rows_follow_the_table_column_order():
    when = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    e = event(user_id=str(uuid.uuid4()), correlation_id=str(uuid.uuid4()), occurred_at=when)
    (row,) = check_events([e]).rows
    assert tuple(c.name for c in AuditLog.__table__.columns) == ROW_COLUMNS
    assert row == (
        e.event_id, e.user_id, "UPDATE", "request", e.entity_id, e.details_json,
        "10.0.0.7", "pytest", e.correlation_id, when,
    )  # fmt: skip


def test_absent_values_become_null_and_missing_time_is_now():
    e = pb.AuditEvent(event_id=str(uuid.uuid4()), action=pb.LOGIN, entity_type="user")
    now = datetime(2026, 5, 1, tzinfo=UTC)
    (row,) = check_events([e], now=now).rows
    assert row[1] is None and row[4] is None and row[5] is None and row[8] is None
    assert row[9] == now


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"event_id": ""}, "event_id", "is required"),
        ({"event_id": "not-a-uuid"}, "event_id", "is not a valid UUID"),
        ({"action": pb.AUDIT_ACTION_UNSPECIFIED}, "action", "unknown action 0"),
        ({"action": 42}, "action", "unknown action 42"),
        ({"entity_type": ""}, "entity_type", "is required"),
        ({"entity_type": "x" * 65}, "entity_type", "at most 64"),
        ({"entity_id": "123"}, "entity_id", "is not a valid UUID"),
        ({"user_id": "{abc}"}, "user_id", "is not a valid UUID"),
        ({"correlation_id": "zz"}, "correlation_id", "is not a valid UUID"),
        ({"details_json": "[1, 2]"}, "details_json", "must be a JSON object"),
        ({"details_json": '"text"'}, "details_json", "must be a JSON object"),
        ({"details_json": "{not json"}, "details_json", "is not valid JSON"),
        ({"details_json": '{"a": "\\u0000"}'}, "details_json", "\\u0000"),
        ({"details_json": '{"a": NaN}'}, "details_json", "is not valid JSON"),
        ({"details_json": '{"a": -Infinity}'}, "details_json", "is not valid JSON"),
        ({"details_json": '{"a": ' * 100_000 + "1" + "}" * 100_000}, "details_json", "deeply"),
        ({"ip_address": "1" * 65}, "ip_address", "at most 64"),
        ({"user_agent": "a\x00b"}, "user_agent", "NUL"),
    ],
)
def test_a_bad_event_refuses_the_batch_naming_it(change, field, reason):
    good, bad = event(), event()
    for name, value in change.items():
        setattr(bad, name, value)
    with pytest.raises(InvalidArgument) as caught:
        check_events([good, good, bad])
    assert caught.value.field == f"events[2].{field}"
    assert reason in caught.value.reason
    if bad.event_id:
        assert bad.event_id in caught.value.reason


def test_a_timestamp_out_of_range_is_refused():
    bad = event()
    bad.occurred_at.nanos = 2_000_000_000
    with pytest.raises(InvalidArgument) as caught:
        check_events([bad])
    assert caught.value.field == "events[0].occurred_at"


def test_a_batch_over_the_limit_is_refused():
    one = event()
    with pytest.raises(InvalidArgument) as caught:
        check_events([one] * (MAX_BATCH_EVENTS + 1))
    assert caught.value.field == "events"
    assert len(check_events([one] * MAX_BATCH_EVENTS)) == MAX_BATCH_EVENTS
