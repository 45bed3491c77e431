"""Alembic environment of the identity context (schema "identity")."""

from services.identity.models import IdentityBase
from services.kernel.migrations import run_env

run_env(IdentityBase.metadata)
