"""The request state machine: one table of allowed transitions, nothing else moves a status.

    NEW -> PENDING_APPROVAL -> APPROVED -> GENERATING_TA -> VALIDATING -> COMPLETED
                           \\-> REJECTED                \\-------------\\-> FAILED

FAILED is reachable from GENERATING_TA too: the seed defines FAILED as "failed during
generation or validation". After FAILED or COMPLETED a reviewer may start a new attempt:
regenerate (-> GENERATING_TA) or upload a MANUAL revision (-> VALIDATING). Every other move
(including any move out of REJECTED) is refused with FAILED_PRECONDITION.

Approval and the new-attempt moves start a pipeline attempt: the request's `attempt` grows by
one and a generation job is written in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from services.kernel.enums import AuditAction
from services.kernel.errors import FailedPrecondition
from services.requests.enums import FailureStage
from services.requests.enums import RequestStatus as S


class Actor(StrEnum):
    """Who may perform a transition (the RPC's access table checks the role first)."""

    OWNER = "owner"  # the user who created the request
    REVIEWER = "reviewer"  # an APPROVER or ADMIN who is not the owner
    SERVICE = "service"  # a service identity (generation and validation pipeline)


@dataclass(frozen=True)
class Transition:
    source: S
    target: S
    actor: Actor
    audit: AuditAction
    starts_attempt: bool = False
    """The move begins a pipeline attempt (a new generation job)."""


TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.NEW, S.PENDING_APPROVAL, Actor.OWNER, AuditAction.UPDATE),
    Transition(S.PENDING_APPROVAL, S.APPROVED, Actor.REVIEWER, AuditAction.APPROVE, True),
    Transition(S.PENDING_APPROVAL, S.REJECTED, Actor.REVIEWER, AuditAction.REJECT),
    Transition(S.APPROVED, S.GENERATING_TA, Actor.SERVICE, AuditAction.UPDATE),
    Transition(S.GENERATING_TA, S.VALIDATING, Actor.SERVICE, AuditAction.UPDATE),
    Transition(S.GENERATING_TA, S.FAILED, Actor.SERVICE, AuditAction.UPDATE),
    Transition(S.VALIDATING, S.COMPLETED, Actor.SERVICE, AuditAction.UPDATE),
    Transition(S.VALIDATING, S.FAILED, Actor.SERVICE, AuditAction.UPDATE),
    # A new attempt: regenerate ...
    Transition(S.FAILED, S.GENERATING_TA, Actor.REVIEWER, AuditAction.UPDATE, True),
    Transition(S.COMPLETED, S.GENERATING_TA, Actor.REVIEWER, AuditAction.UPDATE, True),
    # ... or validate a MANUAL revision.
    Transition(S.FAILED, S.VALIDATING, Actor.REVIEWER, AuditAction.UPLOAD, True),
    Transition(S.COMPLETED, S.VALIDATING, Actor.REVIEWER, AuditAction.UPLOAD, True),
)

_TABLE: dict[tuple[S, S], Transition] = {(t.source, t.target): t for t in TRANSITIONS}

#: A request's own fields (source_system, description, ...) and its samples change only here.
EDITABLE: frozenset[S] = frozenset({S.NEW})
#: States in which a person may upload a MANUAL TA revision (it starts a new attempt).
ACCEPTS_MANUAL_REVISION: frozenset[S] = frozenset({S.COMPLETED, S.FAILED})
#: States in which the pipeline of an attempt is under way.
IN_PIPELINE: frozenset[S] = frozenset({S.APPROVED, S.GENERATING_TA, S.VALIDATING})
#: States in which the generation pipeline may store an AUTO revision.
ACCEPTS_AUTO_REVISION: frozenset[S] = frozenset({S.GENERATING_TA})


def transition(source: S, target: S) -> Transition:
    """The allowed transition from `source` to `target`, else FailedPrecondition."""
    found = _TABLE.get((S(source), S(target)))
    if found is None:
        raise FailedPrecondition(f"a request cannot go from {source} to {target}")
    return found


def targets_from(source: S) -> frozenset[S]:
    """Where a request in `source` may go next."""
    return frozenset(t.target for t in TRANSITIONS if t.source == source)


def sources_of(target: S) -> frozenset[S]:
    """From where a request may reach `target`."""
    return frozenset(t.source for t in TRANSITIONS if t.target == target)


def actor_for(source: S, target: S) -> Actor:
    """Who moves a request from `source` into `target` (FailedPrecondition if nobody may)."""
    return transition(source, target).actor


def stamps(
    target: S,
    *,
    actor_id: uuid.UUID | None = None,
    rejection_reason: str | None = None,
    failure: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The columns that the transition into `target` owns, besides `status` itself (a new
    attempt's columns come from `attempt_stamps`)."""
    moment = now or datetime.now(UTC)
    if target == S.FAILED:
        if not failure:
            raise ValueError("a failure needs its stage and message")
        return {"failure": failure}
    if target == S.APPROVED:
        if actor_id is None:
            raise ValueError("an approval needs the approver")
        return {"approved_by": actor_id, "approved_at": moment}
    if target == S.REJECTED:
        if not rejection_reason:
            raise ValueError("a rejection needs a reason")
        return {"rejection_reason": rejection_reason}
    if target == S.COMPLETED:
        return {"completed_at": moment}
    return {}


def failure_record(
    stage: FailureStage,
    message: str,
    validation_run_id: uuid.UUID | str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """What a FAILED request says about why (its `failure` column)."""
    return {
        "stage": FailureStage(stage).value,
        "message": message,
        "validation_run_id": str(validation_run_id) if validation_run_id else None,
        "failed_at": (now or datetime.now(UTC)).isoformat(),
    }


def attempt_stamps(current_attempt: int) -> dict[str, Any]:
    """The columns of a move that starts an attempt: the next number, the last outcome
    cleared."""
    return {"attempt": current_attempt + 1, "failure": None, "completed_at": None}


def require_editable(status: S, what: str) -> None:
    if status not in EDITABLE:
        raise FailedPrecondition(f"{what} only while the request is NEW (it is {status})")
