"""Full-text search over the chunks of active documents."""

from __future__ import annotations

from services.kernel.errors import InvalidArgument
from services.kernel.validation import require_text
from services.knowledge.models import DocumentType
from services.knowledge.repositories import ChunkHit, KnowledgeChunkRepository
from services.knowledge.use_cases.deps import KnowledgeDeps

DEFAULT_TOP_K = 5
MAX_TOP_K = 50
MAX_QUERY_LENGTH = 1000


def check_top_k(value: int) -> int:
    """0 means the default; otherwise 1 to MAX_TOP_K."""
    if value == 0:
        return DEFAULT_TOP_K
    if not 1 <= value <= MAX_TOP_K:
        raise InvalidArgument("top_k", f"must be between 1 and {MAX_TOP_K} (0 for {DEFAULT_TOP_K})")
    return value


class SearchUseCases:
    def __init__(self, deps: KnowledgeDeps) -> None:
        self.deps = deps

    async def search(
        self, query: str, top_k: int, document_type: DocumentType | None = None
    ) -> list[ChunkHit]:
        text = require_text("query", query, max_length=MAX_QUERY_LENGTH)
        limit = check_top_k(top_k)
        async with self.deps.db.read_only() as session:
            return await KnowledgeChunkRepository(session).search(
                text, limit, document_type.value if document_type else None
            )
