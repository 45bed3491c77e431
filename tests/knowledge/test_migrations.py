"""The knowledge migration history: upgrade, downgrade, upgrade again, and agreement with the
models (alembic compare_metadata finds no difference), on an empty database of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.kernel import migrations
from services.knowledge.models import SCHEMA, KnowledgeBase
from tests.database import scratch_database
from tests.kernel.migration_checks import index_definitions, schema_differences, table_names

EXPECTED = {"knowledge_documents", "knowledge_chunks", "audit_outbox", "alembic_version"}


@pytest.fixture(scope="module")
def scratch_url(database_url: str) -> Iterator[str]:
    with scratch_database(database_url) as url:
        yield url


def indexes(url: str) -> set[str]:
    return {
        f"{name}:{'gin' if 'USING gin' in definition else ''}"
        for name, definition in index_definitions(url, SCHEMA).items()
    }


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    migrations.upgrade("knowledge", scratch_url)
    assert table_names(scratch_url, SCHEMA) == EXPECTED
    assert schema_differences(scratch_url, KnowledgeBase.metadata) == []
    assert {
        "ix_knowledge_documents_document_type:",
        "ix_knowledge_documents_pinecone_indexed:",
        "ix_knowledge_documents_is_active:",
        "ix_knowledge_chunks_search_vector:gin",
    } <= indexes(scratch_url)
    migrations.downgrade("knowledge", scratch_url)
    assert table_names(scratch_url, SCHEMA) == {"alembic_version"}
    assert len(schema_differences(scratch_url, KnowledgeBase.metadata)) >= 3
    migrations.upgrade("knowledge", scratch_url)
    assert table_names(scratch_url, SCHEMA) == EXPECTED
    assert schema_differences(scratch_url, KnowledgeBase.metadata) == []


def test_models_and_migrations_agree_on_the_test_database(database_url: str) -> None:
    assert schema_differences(database_url, KnowledgeBase.metadata) == []
