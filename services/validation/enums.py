"""Enums of the validation context (the seed's names and values)."""

from __future__ import annotations

from enum import StrEnum


class ValidationStatus(StrEnum):
    """Where a validation run is: waiting, executing, or finished (PASSED / FAILED)."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    PASSED = "PASSED"
    FAILED = "FAILED"


#: The states a run ends in.
FINISHED: frozenset[ValidationStatus] = frozenset(
    {ValidationStatus.PASSED, ValidationStatus.FAILED}
)
