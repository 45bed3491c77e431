"""KnowledgeChunkRepository: a document's chunks and full-text search over them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.ext.asyncio import AsyncSession

from services.knowledge.models import TEXT_SEARCH_CONFIG, KnowledgeChunk, KnowledgeDocument

#: ts_rank normalization 32: rank / (rank + 1), a score between 0 and 1.
RANK_NORMALIZATION = 32
HEADLINE_OPTIONS = "StartSel=**, StopSel=**, MaxWords=40, MinWords=12, MaxFragments=2"


@dataclass(frozen=True)
class ChunkHit:
    """One search result: a chunk of an active document with its score."""

    document_id: uuid.UUID
    document_title: str
    document_type: str
    ordinal: int
    text: str
    snippet: str
    score: float


def _config() -> sa.ColumnElement[str]:
    return sa.cast(sa.literal(TEXT_SEARCH_CONFIG), REGCONFIG)


class KnowledgeChunkRepository:
    """Chunks are written and removed per document; they have no life of their own."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace_chunks(self, document_id: uuid.UUID, texts: Sequence[str]) -> int:
        """The document's chunks become `texts` (in order); returns how many were written."""
        await self.delete_for_document(document_id)
        if texts:
            await self.session.execute(
                insert(KnowledgeChunk),
                [
                    {"id": uuid.uuid4(), "document_id": document_id, "ordinal": i, "text": text}
                    for i, text in enumerate(texts)
                ],
            )
        return len(texts)

    async def delete_for_document(self, document_id: uuid.UUID) -> int:
        """Remove the document's chunks from the index; returns how many there were."""
        result = await self.session.execute(
            delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document_id)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def count_for_document(self, document_id: uuid.UUID) -> int:
        stmt = select(func.count()).where(KnowledgeChunk.document_id == document_id)
        return int(await self.session.scalar(stmt) or 0)

    async def get_for_document(self, document_id: uuid.UUID) -> list[KnowledgeChunk]:
        stmt = (
            select(KnowledgeChunk)
            .where(KnowledgeChunk.document_id == document_id)
            .order_by(KnowledgeChunk.ordinal)
        )
        return list((await self.session.scalars(stmt)).all())

    async def search(
        self, query: str, top_k: int, document_type: str | None = None
    ) -> list[ChunkHit]:
        """The `top_k` chunks of active documents that best match `query` (websearch
        syntax), best first; ties are broken by document id and chunk position."""
        tsquery = func.websearch_to_tsquery(_config(), query)
        score = func.ts_rank(KnowledgeChunk.search_vector, tsquery, RANK_NORMALIZATION)
        ranked = (
            select(
                KnowledgeChunk.document_id,
                KnowledgeDocument.title,
                KnowledgeDocument.document_type,
                KnowledgeChunk.ordinal,
                KnowledgeChunk.text,
                score.label("score"),
            )
            .join(KnowledgeDocument, KnowledgeDocument.id == KnowledgeChunk.document_id)
            .where(KnowledgeDocument.is_active, KnowledgeChunk.search_vector.op("@@")(tsquery))
        )
        if document_type is not None:
            ranked = ranked.where(KnowledgeDocument.document_type == document_type)
        best = (
            ranked.order_by(sa.desc("score"), KnowledgeChunk.document_id, KnowledgeChunk.ordinal)
            .limit(top_k)
            .subquery()
        )
        snippet = func.ts_headline(_config(), best.c.text, tsquery, HEADLINE_OPTIONS)
        stmt = select(best, snippet.label("snippet")).order_by(
            best.c.score.desc(), best.c.document_id, best.c.ordinal
        )
        return [
            ChunkHit(
                document_id=row.document_id,
                document_title=row.title,
                document_type=row.document_type,
                ordinal=row.ordinal,
                text=row.text,
                snippet=row.snippet,
                score=float(row.score),
            )
            for row in await self.session.execute(stmt)
        ]
