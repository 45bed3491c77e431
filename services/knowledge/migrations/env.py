"""Alembic environment of the knowledge context (schema "knowledge")."""

from services.kernel.migrations import run_env
from services.knowledge.models import KnowledgeBase

run_env(KnowledgeBase.metadata)
