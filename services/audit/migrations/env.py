"""Alembic environment of the audit context (schema "audit")."""

from services.audit.models import AuditBase
from services.kernel.migrations import run_env

run_env(AuditBase.metadata)
