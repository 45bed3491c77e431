"""Validation repositories: they flush, never commit."""

from services.validation.repositories.validation_runs import ValidationRunRepository
from services.validation.repositories.verdicts import VerdictRepository

__all__ = ["ValidationRunRepository", "VerdictRepository"]
