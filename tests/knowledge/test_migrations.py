"""The knowledge migration history: upgrade, downgrade, upgrade again, and agreement with the
models (alembic compare_metadata finds no difference), on an empty database of its own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
import sqlalchemy as sa

from services.kernel import migrations
from services.knowledge.models import SCHEMA, KnowledgeBase
from tests.kernel.migration_checks import schema_differences, table_names

EXPECTED = {"knowledge_documents", "knowledge_chunks", "audit_outbox", "alembic_version"}


def _admin_url(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def scratch_url(database_url: str) -> Iterator[str]:
    name = f"knowledge_scratch_{uuid.uuid4().hex[:8]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(_admin_url(database_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield sa.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def indexes(url: str) -> set[str]:
    async def main() -> set[str]:
        conn = await asyncpg.connect(_admin_url(url))
        try:
            rows = await conn.fetch(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1", SCHEMA
            )
        finally:
            await conn.close()
        return {f"{r['indexname']}:{'gin' if 'USING gin' in r['indexdef'] else ''}" for r in rows}

    return asyncio.run(main())


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
