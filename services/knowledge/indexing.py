"""The indexer: makes uploaded documents searchable.

It takes unindexed active documents one at a time (FOR UPDATE SKIP LOCKED, so several
replicas never work on the same one) and, in one unit of work per document, reads the
object, extracts its text by type, splits it into chunks, writes them (the database computes
their tsvector) and marks the document indexed. A document without extractable text is
marked indexed with embedding_count 0 and the reason in its metadata: it is never retried
forever and never stops the worker. Storage being unavailable rolls back and leaves the
document for the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from services.kernel.storage import ObjectMissing, StorageUnavailable
from services.knowledge.chunking import split_into_chunks
from services.knowledge.models import KnowledgeDocument
from services.knowledge.repositories import KnowledgeChunkRepository, KnowledgeDocumentRepository
from services.knowledge.text_extraction import (
    ExtractedText,
    ExtractionFailed,
    GuardedReader,
    extract_text,
)
from services.knowledge.use_cases.deps import KnowledgeDeps

log = logging.getLogger(__name__)

#: The seed's pinecone_index_name of every indexed document: our PostgreSQL full-text index.
INDEX_NAME = "postgres-fts"


@dataclass
class IndexRun:
    """What one run did: documents with chunks, documents without text, whether it stopped
    early because storage was unavailable, or because it reached its batch size."""

    indexed: list[uuid.UUID] = field(default_factory=list)
    without_text: list[uuid.UUID] = field(default_factory=list)
    storage_unavailable: bool = False
    more_waiting: bool = False


class DocumentIndexer:
    def __init__(self, deps: KnowledgeDeps, *, max_documents: int = 100) -> None:
        self.deps = deps
        self.max_documents = max_documents

    async def run_once(self) -> IndexRun:
        """Index unindexed documents until none is left (at most `max_documents`)."""
        run = IndexRun()
        tried: list[uuid.UUID] = []
        while len(tried) < self.max_documents:
            claimed = len(tried)
            try:
                done = await self._index_next(tried, run)
            except StorageUnavailable as exc:
                log.warning("indexing paused, object storage unavailable: %s", exc.message)
                run.storage_unavailable = True
                break
            except Exception as exc:
                if len(tried) == claimed:  # failed before taking a document (database down)
                    raise
                await self._give_up(tried[-1], exc, run)
                continue
            if not done:
                return run
        run.more_waiting = not run.storage_unavailable
        return run

    async def _index_next(self, tried: list[uuid.UUID], run: IndexRun) -> bool:
        """Index the oldest unindexed document not tried yet (appending its id to `tried`);
        False when there is none."""
        async with self.deps.db.unit_of_work() as session:
            documents = KnowledgeDocumentRepository(session)
            found = await documents.get_unindexed_documents(1, lock=True, exclude=tried)
            if not found:
                return False
            document = found[0]
            tried.append(document.id)
            try:
                extracted: ExtractedText | None = await self._extract(document)
                reason = None
            except ExtractionFailed as exc:
                extracted, reason = None, exc.reason
            chunks = split_into_chunks(extracted.text) if extracted else []
            count = await KnowledgeChunkRepository(session).replace_chunks(document.id, chunks)
            await documents.mark_as_indexed(document.id, INDEX_NAME, count)
            await documents.merge_metadata(document.id, _indexing_details(extracted, reason))
        (run.indexed if count else run.without_text).append(document.id)
        return True

    async def _extract(self, document: KnowledgeDocument) -> ExtractedText:
        storage = self.deps.storage
        limit = self.deps.settings.max_knowledge_document_size_bytes

        def read() -> ExtractedText:
            try:
                raw = storage.open_reader(document.storage_key, bucket=document.storage_bucket)
            except ObjectMissing:
                raise ExtractionFailed("the document's object is missing from storage") from None
            with GuardedReader(raw) as reader:
                return extract_text(document.document_type, reader, limit)  # type: ignore[arg-type]

        return await asyncio.to_thread(read)

    async def _give_up(self, document_id: uuid.UUID, exc: Exception, run: IndexRun) -> None:
        """An unexpected failure while indexing a document: mark it indexed without chunks,
        with the reason, so that it is not tried again and again."""
        log.error(
            "indexing document %s failed; it is left without chunks",
            document_id,
            exc_info=exc,
        )
        reason = f"indexing failed ({type(exc).__name__})"
        async with self.deps.db.unit_of_work() as session:
            documents = KnowledgeDocumentRepository(session)
            await KnowledgeChunkRepository(session).delete_for_document(document_id)
            await documents.mark_as_indexed(document_id, INDEX_NAME, 0)
            await documents.merge_metadata(document_id, _indexing_details(None, reason))
        run.without_text.append(document_id)

    async def run_forever(self) -> None:
        """The in-service worker: a run at start, after each upload, and every interval."""
        interval = self.deps.settings.knowledge_index_interval_seconds
        wakeup = self.deps.index_wakeup
        while True:
            wakeup.clear()
            try:
                if (await self.run_once()).more_waiting:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("indexing run failed; retrying in %.0f s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), interval)


def _indexing_details(extracted: ExtractedText | None, reason: str | None) -> dict[str, Any]:
    if extracted is None:
        return {"indexing_error": reason, "indexing": {"characters": 0}}
    return {
        "indexing_error": None,
        "indexing": {
            "characters": len(extracted.text),
            "truncated": extracted.truncated,
            **extracted.details,
        },
    }
