"""KnowledgeDocumentRepository (every seed method, listing by type, soft delete) and
KnowledgeChunkRepository (chunks, full-text search) on the real database, each test inside
a transaction that is rolled back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.kernel.errors import InvalidArgument
from services.knowledge.models import KnowledgeDocument
from services.knowledge.repositories import KnowledgeChunkRepository, KnowledgeDocumentRepository

UPLOADER = uuid.uuid4()
_clock = datetime(2030, 1, 1, tzinfo=UTC)


async def add(
    docs: KnowledgeDocumentRepository, title: str, document_type: str = "markdown", **values: Any
) -> KnowledgeDocument:
    global _clock
    _clock += timedelta(seconds=1)  # one transaction: now() would be the same for every row
    return await docs.create(
        {
            "created_at": _clock,
            "title": title,
            "document_type": document_type,
            "storage_key": f"knowledge/{uuid.uuid4()}",
            "storage_bucket": "tagen",
            "file_size": 10,
            "uploaded_by": UPLOADER,
            **values,
        }
    )


@pytest.fixture
def docs(session) -> KnowledgeDocumentRepository:
    return KnowledgeDocumentRepository(session)


@pytest.fixture
def chunks(session) -> KnowledgeChunkRepository:
    return KnowledgeChunkRepository(session)


async def test_defaults_and_base_repository_api(docs) -> None:
    doc = await add(docs, "Guide", document_metadata={"filename": "guide.md"})
    assert doc.pinecone_indexed is False and doc.is_active is True
    assert doc.created_at is not None and doc.updated_at is not None
    assert doc.document_metadata == {"filename": "guide.md"}
    assert await docs.get_by_id(doc.id) is doc
    assert await docs.exists(doc.id) and not await docs.exists(uuid.uuid4())
    assert await docs.count({"document_type": "markdown"}) == 1
    updated = await docs.update(doc.id, {"description": "about Apache"})
    assert updated is not None and updated.description == "about Apache"
    assert [d.id for d in await docs.get_all(filters={"uploaded_by": UPLOADER})] == [doc.id]
    assert await docs.delete(doc.id) and await docs.get_by_id(doc.id) is None


async def test_unknown_document_type_is_refused_by_the_database(docs) -> None:
    with pytest.raises(Exception, match="check constraint"):
        await add(docs, "Odd", "word")


async def test_get_unindexed_documents_oldest_active_first(docs) -> None:
    first = await add(docs, "first")
    second = await add(docs, "second", "pdf")
    indexed = await add(docs, "indexed")
    await docs.mark_as_indexed(indexed.id, "postgres-fts", 3)
    gone = await add(docs, "gone")
    await docs.soft_delete(gone.id)
    found = await docs.get_unindexed_documents()
    assert [d.id for d in found] == [first.id, second.id]
    assert [d.id for d in await docs.get_unindexed_documents(1)] == [first.id]
    assert [d.id for d in await docs.get_unindexed_documents(exclude=[first.id])] == [second.id]
    assert len(await docs.get_unindexed_documents(10, lock=True)) == 2
    with pytest.raises(InvalidArgument):
        await docs.get_unindexed_documents(0)


async def test_mark_as_indexed(docs, session) -> None:
    doc = await add(docs, "Guide")
    assert await docs.mark_as_indexed(doc.id, "splunk_docs_index", 150)
    await session.refresh(doc)
    assert (doc.pinecone_indexed, doc.pinecone_index_name, doc.embedding_count) == (
        True,
        "splunk_docs_index",
        150,
    )
    assert not await docs.mark_as_indexed(uuid.uuid4(), "x", 1)


async def test_get_statistics_counts_active_documents(docs) -> None:
    assert await docs.get_statistics() == {
        "by_type": {"pdf": 0, "markdown": 0, "ta_archive": 0, "splunk_doc": 0},
        "indexing_status": {"indexed": 0, "unindexed": 0},
    }
    for n in range(3):
        await add(docs, f"pdf {n}", "pdf")
    md = await add(docs, "md")
    await add(docs, "ta", "ta_archive")
    await docs.mark_as_indexed(md.id, "postgres-fts", 2)
    deleted = await add(docs, "deleted", "splunk_doc")
    await docs.soft_delete(deleted.id)
    assert await docs.get_statistics() == {
        "by_type": {"pdf": 3, "markdown": 1, "ta_archive": 1, "splunk_doc": 0},
        "indexing_status": {"indexed": 1, "unindexed": 4},
    }


async def test_list_by_type_newest_first_and_paged(docs) -> None:
    pdfs = [await add(docs, f"pdf {n}", "pdf") for n in range(3)]
    md = await add(docs, "md")
    gone = await add(docs, "gone pdf", "pdf")
    await docs.soft_delete(gone.id)
    by_type = await docs.get_by_type("pdf")
    assert {d.id for d in by_type} == {d.id for d in pdfs}
    assert [d.created_at for d in by_type] == sorted((d.created_at for d in by_type), reverse=True)
    assert len(await docs.list_active()) == 4
    assert [d.id for d in await docs.list_active("markdown")] == [md.id]
    page1 = await docs.list_active(None, 0, 2)
    page2 = await docs.list_active(None, 2, 2)
    assert len(page1) == 2 and len(page2) == 2
    assert not {d.id for d in page1} & {d.id for d in page2}


async def test_soft_delete_and_get_active(docs, session) -> None:
    doc = await add(docs, "Guide")
    await docs.mark_as_indexed(doc.id, "postgres-fts", 4)
    assert await docs.get_active(doc.id, for_update=True) is not None
    assert await docs.soft_delete(doc.id)
    assert not await docs.soft_delete(doc.id)
    assert await docs.get_active(doc.id) is None
    await session.refresh(doc)
    assert doc.is_active is False and doc.pinecone_indexed is False
    assert doc.embedding_count is None


async def test_merge_metadata_keeps_other_keys(docs, session) -> None:
    doc = await add(docs, "Guide", document_metadata={"filename": "a.md"})
    await docs.merge_metadata(doc.id, {"indexing_error": "no text"})
    bare = await add(docs, "Bare")
    await docs.merge_metadata(bare.id, {"indexing": {"characters": 0}})
    await session.refresh(doc)
    await session.refresh(bare)
    assert doc.document_metadata == {"filename": "a.md", "indexing_error": "no text"}
    assert bare.document_metadata == {"indexing": {"characters": 0}}


async def test_chunks_replace_count_delete(docs, chunks) -> None:
    doc = await add(docs, "Guide")
    assert await chunks.replace_chunks(doc.id, ["one", "two", "three"]) == 3
    assert await chunks.replace_chunks(doc.id, ["alpha", "beta"]) == 2
    stored = await chunks.get_for_document(doc.id)
    assert [(c.ordinal, c.text) for c in stored] == [(0, "alpha"), (1, "beta")]
    assert stored[0].search_vector == "'alpha':1"
    assert await chunks.count_for_document(doc.id) == 2
    assert await chunks.delete_for_document(doc.id) == 2
    assert await chunks.count_for_document(doc.id) == 0


async def test_search_ranks_filters_and_limits(docs, chunks) -> None:
    best = await add(docs, "Timestamps")
    other = await add(docs, "Breaking", "splunk_doc")
    gone = await add(docs, "Old")
    await chunks.replace_chunks(
        best.id, ["TIME_PREFIX and TIME_FORMAT tell Splunk where timestamps are; timestamps!"]
    )
    await chunks.replace_chunks(other.id, ["Line breaking, with one timestamp mention."])
    await chunks.replace_chunks(gone.id, ["timestamps timestamps timestamps timestamps"])
    await docs.soft_delete(gone.id)
    hits = await chunks.search("timestamps", 10)
    assert [h.document_id for h in hits] == [best.id, other.id]
    assert hits[0].score > hits[1].score > 0
    assert hits[0].document_title == "Timestamps" and "**timestamps**" in hits[0].snippet
    assert [h.document_id for h in await chunks.search("timestamps", 1)] == [best.id]
    only = await chunks.search("timestamps", 10, "splunk_doc")
    assert [h.document_id for h in only] == [other.id]
    assert await chunks.search("kerberos", 10) == []
    assert await chunks.search('"where timestamps" -breaking', 10) != []
