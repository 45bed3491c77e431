"""KnowledgeDocumentRepository: the seed's methods (unindexed documents, mark as indexed,
statistics), listing by type and soft delete."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB

from services.kernel.repository import BaseRepository, check_page
from services.knowledge.models import DocumentType, KnowledgeDocument


class KnowledgeDocumentRepository(BaseRepository[KnowledgeDocument]):
    model = KnowledgeDocument

    async def get_unindexed_documents(
        self,
        limit: int = 100,
        *,
        lock: bool = False,
        exclude: Collection[uuid.UUID] = (),
    ) -> list[KnowledgeDocument]:
        """Active documents the indexer has not processed yet, oldest first.

        With `lock`, the rows are locked and rows another indexer holds are skipped, so
        concurrent indexers never work on the same document; `exclude` leaves out ids the
        caller already tried."""
        check_page(0, limit)
        stmt = (
            select(KnowledgeDocument)
            .where(KnowledgeDocument.is_active, KnowledgeDocument.pinecone_indexed.is_(False))
            .order_by(KnowledgeDocument.created_at, KnowledgeDocument.id)
            .limit(limit)
        )
        if exclude:
            stmt = stmt.where(KnowledgeDocument.id.not_in(list(exclude)))
        if lock:
            stmt = stmt.with_for_update(skip_locked=True)
        return list((await self.session.scalars(stmt)).all())

    async def mark_as_indexed(
        self, doc_id: uuid.UUID, index_name: str, embedding_count: int
    ) -> bool:
        """Record that the document's chunks are in `index_name`; False when it does not exist."""
        result = await self.session.execute(
            update(KnowledgeDocument)
            .where(KnowledgeDocument.id == doc_id)
            .values(
                pinecone_indexed=True,
                pinecone_index_name=index_name,
                embedding_count=embedding_count,
            )
            .execution_options(synchronize_session="fetch")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def merge_metadata(self, doc_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        """Add or replace keys of the document's metadata object (other keys stay)."""
        current = func.coalesce(KnowledgeDocument.document_metadata, literal({}, JSONB))
        await self.session.execute(
            update(KnowledgeDocument)
            .where(KnowledgeDocument.id == doc_id)
            .values(document_metadata=current.op("||")(literal(dict(values), JSONB)))
            .execution_options(synchronize_session="fetch")
        )

    async def get_statistics(self) -> dict[str, dict[str, int]]:
        """Active documents by type (every type, zeros included) and by indexing status."""
        stmt = (
            select(
                KnowledgeDocument.document_type,
                KnowledgeDocument.pinecone_indexed,
                func.count(),
            )
            .where(KnowledgeDocument.is_active)
            .group_by(KnowledgeDocument.document_type, KnowledgeDocument.pinecone_indexed)
        )
        by_type = {t.value: 0 for t in DocumentType}
        status = {"indexed": 0, "unindexed": 0}
        for document_type, indexed, count in await self.session.execute(stmt):
            by_type[document_type] = by_type.get(document_type, 0) + count
            status["indexed" if indexed else "unindexed"] += count
        return {"by_type": by_type, "indexing_status": status}

    async def get_by_type(
        self, document_type: str, skip: int = 0, limit: int = 100
    ) -> list[KnowledgeDocument]:
        """Active documents of one type, newest first."""
        return await self.list_active(document_type, skip, limit)

    async def list_active(
        self, document_type: str | None = None, skip: int = 0, limit: int = 100
    ) -> list[KnowledgeDocument]:
        """Active documents (of one type when given), newest first."""
        check_page(skip, limit)
        stmt = select(KnowledgeDocument).where(KnowledgeDocument.is_active)
        if document_type is not None:
            stmt = stmt.where(KnowledgeDocument.document_type == document_type)
        stmt = stmt.order_by(KnowledgeDocument.created_at.desc(), KnowledgeDocument.id.desc())
        return list((await self.session.scalars(stmt.offset(skip).limit(limit))).all())

    async def get_active(
        self, doc_id: uuid.UUID, *, for_update: bool = False
    ) -> KnowledgeDocument | None:
        """The document unless it is deleted; optionally with its row locked."""
        stmt = select(KnowledgeDocument).where(
            KnowledgeDocument.id == doc_id, KnowledgeDocument.is_active
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def soft_delete(self, doc_id: uuid.UUID) -> bool:
        """is_active = false, and the document no longer counts as indexed (its chunks go
        with it: see KnowledgeChunkRepository.delete_for_document). False when it does not
        exist or was deleted already."""
        result = await self.session.execute(
            update(KnowledgeDocument)
            .where(KnowledgeDocument.id == doc_id, KnowledgeDocument.is_active)
            .values(
                is_active=False,
                pinecone_indexed=False,
                pinecone_index_name=None,
                embedding_count=None,
            )
            .execution_options(synchronize_session="fetch")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
