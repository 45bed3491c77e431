"""The transition table, without a database: every pair of statuses is allowed or refused."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest

from services.kernel.enums import AuditAction
from services.kernel.errors import FailedPrecondition
from services.requests import lifecycle
from services.requests.enums import FailureStage
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
    # new attempts: regenerate, or a MANUAL revision validated
    (S.FAILED, S.GENERATING_TA),
    (S.COMPLETED, S.GENERATING_TA),
    (S.FAILED, S.VALIDATING),
    (S.COMPLETED, S.VALIDATING),
}
STARTS_ATTEMPT = {
    (S.PENDING_APPROVAL, S.APPROVED),
    (S.FAILED, S.GENERATING_TA),
    (S.COMPLETED, S.GENERATING_TA),
    (S.FAILED, S.VALIDATING),
    (S.COMPLETED, S.VALIDATING),
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


def test_table_is_exactly_the_seed_flow_plus_new_attempts() -> None:
    assert {(t.source, t.target) for t in lifecycle.TRANSITIONS} == ALLOWED
    assert len(lifecycle.TRANSITIONS) == len(ALLOWED)
    assert {(t.source, t.target) for t in lifecycle.TRANSITIONS if t.starts_attempt} == (
        STARTS_ATTEMPT
    )


def test_only_rejected_is_final() -> None:
    assert lifecycle.targets_from(S.REJECTED) == frozenset()
    for ended in (S.COMPLETED, S.FAILED):
        assert lifecycle.targets_from(ended) == {S.GENERATING_TA, S.VALIDATING}
    assert lifecycle.targets_from(S.PENDING_APPROVAL) == {S.APPROVED, S.REJECTED}
    assert lifecycle.sources_of(S.FAILED) == {S.GENERATING_TA, S.VALIDATING}
    assert lifecycle.sources_of(S.NEW) == frozenset()


def test_actors_and_audit_actions() -> None:
    assert lifecycle.actor_for(S.NEW, S.PENDING_APPROVAL) is Actor.OWNER
    assert lifecycle.actor_for(S.PENDING_APPROVAL, S.APPROVED) is Actor.REVIEWER
    assert lifecycle.actor_for(S.PENDING_APPROVAL, S.REJECTED) is Actor.REVIEWER
    for source, target in ALLOWED - STARTS_ATTEMPT:
        if source not in (S.NEW, S.PENDING_APPROVAL):
            assert lifecycle.actor_for(source, target) is Actor.SERVICE
    for source, target in STARTS_ATTEMPT:
        assert lifecycle.actor_for(source, target) is Actor.REVIEWER
    with pytest.raises(FailedPrecondition):
        lifecycle.actor_for(S.NEW, S.APPROVED)
    assert lifecycle.transition(S.FAILED, S.VALIDATING).audit is AuditAction.UPLOAD
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
    for other in (S.PENDING_APPROVAL, S.GENERATING_TA, S.VALIDATING):
        assert lifecycle.stamps(other) == {}
    failure = lifecycle.failure_record(FailureStage.VALIDATION, "no", "run-1", now)
    assert failure == {
        "stage": "VALIDATION",
        "message": "no",
        "validation_run_id": "run-1",
        "failed_at": now.isoformat(),
    }
    assert lifecycle.stamps(S.FAILED, failure=failure) == {"failure": failure}
    with pytest.raises(ValueError):
        lifecycle.stamps(S.FAILED)
    assert lifecycle.attempt_stamps(2) == {"attempt": 3, "failure": None, "completed_at": None}
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
    assert {S.FAILED, S.COMPLETED} == lifecycle.ACCEPTS_MANUAL_REVISION
    assert {S.APPROVED, S.GENERATING_TA, S.VALIDATING} == lifecycle.IN_PIPELINE
