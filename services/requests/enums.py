"""Enums of the requests context (the seed's names and values)."""

from __future__ import annotations

from enum import StrEnum


class RequestStatus(StrEnum):
    """Where a request is in its lifecycle (see lifecycle.py for the allowed moves)."""

    NEW = "NEW"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    GENERATING_TA = "GENERATING_TA"
    VALIDATING = "VALIDATING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class TARevisionType(StrEnum):
    """Who produced a TA revision."""

    AUTO = "AUTO"
    MANUAL = "MANUAL"


class FailureStage(StrEnum):
    """Which step of the pipeline failed a request."""

    GENERATION = "GENERATION"
    VALIDATION = "VALIDATION"
