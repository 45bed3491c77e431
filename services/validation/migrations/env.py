"""Alembic environment of the validation context (schema "validation")."""

from services.kernel.migrations import run_env
from services.validation.models import ValidationBase

run_env(ValidationBase.metadata)
