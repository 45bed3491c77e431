"""Knowledge repositories: they flush, never commit."""

from services.knowledge.repositories.knowledge_chunks import ChunkHit, KnowledgeChunkRepository
from services.knowledge.repositories.knowledge_documents import KnowledgeDocumentRepository

__all__ = ["ChunkHit", "KnowledgeChunkRepository", "KnowledgeDocumentRepository"]
