"""Alembic environment of the requests context (schema "requests")."""

from services.kernel.migrations import run_env
from services.requests.models import RequestsBase

run_env(RequestsBase.metadata)
