"""Validation repositories: they flush, never commit."""

from services.validation.repositories.validation_runs import ValidationRunRepository

__all__ = ["ValidationRunRepository"]
