"""The transition table, without a database: every pair of statuses is allowed or refused."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest

from services.kernel.enums import AuditAction
from services.kernel.errors import FailedPrecondition
from services.requests import lifecycle
from services.requests.enums import RequestStatus as S
from services.requests.lifecycle import Actor

ALLOWED = {
    (S.NEW, S.PENDING_APPROVAL),
    (S.PENDING_APPROVAL, S.APPROVED),
    (S.PENDING_APPROVAL, S.REJECTED),
    (S.APPROVED, S.GENERATING_TA),
    (S.GENERATING_TA, S.VALIDATING),
    (S.GENERATING_TA, S.FAILED),
    (S.VALIDATING, S.COMPLETED),
    (S.VALIDATING, S.FAILED),
}
ALL_PAIRS = list(itertools.product(S, S))


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_allowed(source: S, target: S) -> None:
    step = lifecycle.transition(source, target)
    assert (step.source, step.target) == (source, target)


@pytest.mark.parametrize(("source", "target"), [p for p in ALL_PAIRS if p not in ALLOWED])
def test_refused(source: S, target: S) -> None:
    with pytest.raises(FailedPrecondition) as err:
        lifecycle.transition(source, target)
    assert str(source) in err.value.message and str(target) in err.value.message


def test_table_is_exactly_the_seed_flow() -> None:
    assert {(t.source, t.target) for t in lifecycle.TRANSITIONS} == ALLOWED
    assert len(lifecycle.TRANSITIONS) == len(ALLOWED)


def test_terminal_states_have_no_way_out() -> None:
    for terminal in (S.REJECTED, S.COMPLETED, S.FAILED):
        assert lifecycle.targets_from(terminal) == frozenset()
    assert lifecycle.targets_from(S.PENDING_APPROVAL) == {S.APPROVED, S.REJECTED}
    assert lifecycle.sources_of(S.FAILED) == {S.GENERATING_TA, S.VALIDATING}
    assert lifecycle.sources_of(S.NEW) == frozenset()


def test_actors_and_audit_actions() -> None:
    assert lifecycle.actor_for(S.PENDING_APPROVAL) is Actor.OWNER
    assert lifecycle.actor_for(S.APPROVED) is Actor.REVIEWER
    assert lifecycle.actor_for(S.REJECTED) is Actor.REVIEWER
    for internal in (S.GENERATING_TA, S.VALIDATING, S.COMPLETED, S.FAILED):
        assert lifecycle.actor_for(internal) is Actor.SERVICE
    with pytest.raises(FailedPrecondition):
        lifecycle.actor_for(S.NEW)
    assert lifecycle.transition(S.PENDING_APPROVAL, S.APPROVED).audit is AuditAction.APPROVE
    assert lifecycle.transition(S.PENDING_APPROVAL, S.REJECTED).audit is AuditAction.REJECT
    assert lifecycle.transition(S.NEW, S.PENDING_APPROVAL).audit is AuditAction.UPDATE


def test_stamps_belong_to_their_transition() -> None:
    now = datetime(2030, 1, 2, tzinfo=UTC)
    who = uuid.uuid4()
    assert lifecycle.stamps(S.APPROVED, actor_id=who, now=now) == {
        "approved_by": who,
        "approved_at": now,
    }
    assert lifecycle.stamps(S.REJECTED, rejection_reason="no") == {"rejection_reason": "no"}
    assert lifecycle.stamps(S.COMPLETED, now=now) == {"completed_at": now}
    for other in (S.PENDING_APPROVAL, S.GENERATING_TA, S.VALIDATING, S.FAILED):
        assert lifecycle.stamps(other) == {}
    with pytest.raises(ValueError):
        lifecycle.stamps(S.APPROVED)
    with pytest.raises(ValueError):
        lifecycle.stamps(S.REJECTED)


def test_editable_and_revision_states() -> None:
    lifecycle.require_editable(S.NEW, "x")
    for status in set(S) - {S.NEW}:
        with pytest.raises(FailedPrecondition):
            lifecycle.require_editable(status, "x")
    assert {S.GENERATING_TA} == lifecycle.ACCEPTS_AUTO_REVISION
    assert S.NEW not in lifecycle.ACCEPTS_MANUAL_REVISION
    assert S.PENDING_APPROVAL not in lifecycle.ACCEPTS_MANUAL_REVISION
    assert S.REJECTED not in lifecycle.ACCEPTS_MANUAL_REVISION
