"""The indexer: markdown, a TA archive built by the TA engine and a PDF become searchable
chunks in one unit of work per document; documents without text are marked indexed with
embedding_count 0 and the reason (never retried, never stopping the worker); storage being
down leaves documents for later; the in-service worker indexes right after an upload."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid

import pytest
from tagen.knowledge.v1 import knowledge_pb2 as pb

from services.kernel.db import Database
from services.knowledge import indexing
from services.knowledge.chunking import CHUNK_CHARS, split_into_chunks
from services.knowledge.indexing import INDEX_NAME, DocumentIndexer
from services.knowledge.repositories import KnowledgeChunkRepository, KnowledgeDocumentRepository
from tests.kernel.s3_server import moto_storage
from tests.knowledge.conftest import _stub, start_service, upload
from tests.knowledge.documents import make_pdf, ta_archive

PARAGRAPH = (
    "Splunk extracts fields at search time from props.conf and transforms.conf. "
    "The KV_MODE setting controls automatic key value extraction for a sourcetype. "
)


async def stored(db: Database, document_id: str):
    async with db.read_only() as session:
        doc = await KnowledgeDocumentRepository(session).get_by_id(uuid.UUID(document_id))
        chunks = await KnowledgeChunkRepository(session).get_for_document(uuid.UUID(document_id))
    assert doc is not None
    return doc, chunks


async def test_markdown_is_split_into_bounded_overlapping_chunks(rpc, cast, clean, indexer):
    text = "# Field extraction\n\n" + "\n\n".join(f"{n}. {PARAGRAPH}" for n in range(40))
    doc = await upload(rpc, cast.km, text.encode())
    run = await indexer.run_once()
    assert run.indexed == [uuid.UUID(doc.id)] and run.without_text == []
    row, chunks = await stored(clean, doc.id)
    assert row.pinecone_indexed and row.pinecone_index_name == INDEX_NAME
    assert row.embedding_count == len(chunks) > 5
    assert all(len(c.text) <= CHUNK_CHARS for c in chunks)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[0].text.startswith("# Field extraction")
    tail = chunks[0].text[-60:].split(" ", 1)[1]
    assert tail in chunks[1].text  # the next chunk repeats the end of the previous one
    assert row.document_metadata["indexing_error"] is None
    assert row.document_metadata["indexing"]["characters"] > len(text) - 200
    assert row.document_metadata["filename"] == "guide.md"  # upload metadata kept
    assert (await indexer.run_once()).indexed == []  # nothing left to do


async def test_ta_archive_conf_readme_and_md_files(rpc, cast, clean, indexer) -> None:
    doc = await upload(
        rpc, cast.km, ta_archive(), document_type="ta_archive", filename="TA-apache.tgz"
    )
    await indexer.run_once()
    row, chunks = await stored(clean, doc.id)
    files = row.document_metadata["indexing"]["files"]
    assert "TA-apache/README.md" in files and "TA-apache/default/props.conf" in files
    assert "TA-apache/metadata/default.meta" not in files
    text = "\n".join(c.text for c in chunks)
    assert "[access_combined]" in text and "TIME_PREFIX" in text
    assert "Add-on for Apache" in text
    hits = await rpc.SearchKnowledge(
        pb.SearchKnowledgeRequest(query="installation search heads"), metadata=cast.service.md
    )
    assert hits.results[0].document_id == doc.id


async def test_pdf_text_is_extracted(rpc, cast, clean, indexer) -> None:
    pdf = make_pdf(["Cisco ASA firewall syslog messages", "ASA-6-302013 built connection"])
    doc = await upload(rpc, cast.km, pdf, document_type="pdf", filename="asa.pdf")
    await indexer.run_once()
    row, chunks = await stored(clean, doc.id)
    assert row.embedding_count == 1 and row.document_metadata["indexing"]["pages"] == 1
    assert "Cisco ASA firewall syslog messages" in chunks[0].text
    hits = await rpc.SearchKnowledge(
        pb.SearchKnowledgeRequest(query="firewall connection"), metadata=cast.requestor.md
    )
    assert [r.document_id for r in hits.results] == [doc.id]


@pytest.mark.parametrize(
    ("data", "document_type", "reason"),
    [
        (b"\x00\x01\x02binary" * 10, "markdown", "binary"),
        (b"   \n\n  ", "splunk_doc", "no text"),
        (b"%PDF-1.4 this is not really a pdf", "pdf", "PDF"),
        (make_pdf([]), "pdf", "no text layer"),
        (b"plain bytes, not gzip", "ta_archive", "gzip"),
    ],
)
async def test_documents_without_text_are_marked_with_the_reason(
    rpc, cast, clean, indexer, data, document_type, reason
) -> None:
    doc = await upload(rpc, cast.km, data, document_type=document_type)
    good = await upload(rpc, cast.km, PARAGRAPH.encode(), title="good")
    run = await indexer.run_once()
    assert run.without_text == [uuid.UUID(doc.id)] and run.indexed == [uuid.UUID(good.id)]
    row, chunks = await stored(clean, doc.id)
    assert chunks == [] and row.pinecone_indexed and row.embedding_count == 0
    assert reason in row.document_metadata["indexing_error"]
    assert (await indexer.run_once()).without_text == []  # not retried


async def test_missing_object_is_a_reason_not_a_crash(rpc, cast, clean, indexer, objects_root):
    doc = await upload(rpc, cast.km, PARAGRAPH.encode())
    (objects_root / doc.storage_key).unlink()
    await indexer.run_once()
    row, _ = await stored(clean, doc.id)
    assert row.embedding_count == 0 and "missing" in row.document_metadata["indexing_error"]


async def test_unexpected_failure_marks_the_document_and_goes_on(
    rpc, cast, clean, indexer, monkeypatch
) -> None:
    bad = await upload(rpc, cast.km, b"poison " * 10, title="bad")
    good = await upload(rpc, cast.km, PARAGRAPH.encode(), title="good")

    def split(text: str) -> list[str]:
        if "poison" in text:
            raise RuntimeError("boom")
        return split_into_chunks(text)

    monkeypatch.setattr(indexing, "split_into_chunks", split)
    run = await indexer.run_once()
    assert run.without_text == [uuid.UUID(bad.id)] and run.indexed == [uuid.UUID(good.id)]
    row, _ = await stored(clean, bad.id)
    assert row.pinecone_indexed and row.document_metadata["indexing_error"] == (
        "indexing failed (RuntimeError)"
    )


async def test_storage_down_leaves_documents_for_later(rpc, cast, clean, deps) -> None:
    doc = await upload(rpc, cast.km, PARAGRAPH.encode())
    broken = moto_storage("tagen-broken", "http://127.0.0.1:9", max_attempts=1, connect_timeout=1)
    async with clean.unit_of_work() as session:  # the row names a bucket of the broken store
        await KnowledgeDocumentRepository(session).update(
            uuid.UUID(doc.id), {"storage_bucket": "tagen-broken"}
        )
    run = await DocumentIndexer(dataclasses.replace(deps, storage=broken)).run_once()
    assert run.storage_unavailable and run.indexed == run.without_text == []
    row, chunks = await stored(clean, doc.id)
    assert not row.pinecone_indexed and chunks == []


async def test_two_indexers_never_index_a_document_twice(rpc, cast, clean, deps) -> None:
    docs = [await upload(rpc, cast.km, PARAGRAPH.encode(), title=f"d{n}") for n in range(6)]
    runs = await asyncio.gather(DocumentIndexer(deps).run_once(), DocumentIndexer(deps).run_once())
    done = [d for run in runs for d in run.indexed]
    assert sorted(done) == sorted(uuid.UUID(d.id) for d in docs)


async def test_the_service_indexes_right_after_an_upload(knowledge_runtime, cast, clean) -> None:
    runtime = type(knowledge_runtime).from_keys(
        knowledge_runtime.settings.model_copy(update={"knowledge_indexer_enabled": True}),
        knowledge_runtime.keys,
    )
    service = await start_service(runtime)
    try:
        async for stub in _stub(service):
            doc = await upload(stub, cast.km, PARAGRAPH.encode())
            for _ in range(100):
                got = await stub.GetDocument(
                    pb.GetDocumentRequest(document_id=doc.id), metadata=cast.km.md
                )
                if got.document.pinecone_indexed:
                    break
                await asyncio.sleep(0.05)
            assert got.document.pinecone_indexed and got.document.embedding_count == 1
    finally:
        await service.stop(0)


def test_chunking_bounds_overlap_and_normalization() -> None:
    assert split_into_chunks("") == [] and split_into_chunks(" \n\x00 ") == []
    assert split_into_chunks("a\x00b\r\n\r\n\r\n\r\nc   d") == ["ab\n\nc d"]
    words = " ".join(f"word{n}" for n in range(2000))
    chunks = split_into_chunks(words, size=200, overlap=40)
    assert all(len(c) <= 200 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        assert after.split(" ", 1)[0] in before  # overlap
    assert chunks[-1].endswith("word1999")
    unbroken = "x" * 1000
    assert "".join(split_into_chunks(unbroken, size=300, overlap=0)) == unbroken
    assert len(split_into_chunks(words, size=100, overlap=10, max_chunks=3)) == 3
    with pytest.raises(ValueError):
        split_into_chunks(words, size=100, overlap=60)


async def test_a_run_stops_at_its_batch_size_and_says_more_is_waiting(rpc, cast, clean, deps):
    for n in range(3):
        await upload(rpc, cast.km, PARAGRAPH.encode(), title=f"d{n}")
    first = await DocumentIndexer(deps, max_documents=2).run_once()
    assert len(first.indexed) == 2 and first.more_waiting
    second = await DocumentIndexer(deps, max_documents=2).run_once()
    assert len(second.indexed) == 1 and not second.more_waiting
