"""Knowledge documents: streamed upload, listing, reading, soft delete, statistics."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from services.kernel.call_context import require_user
from services.kernel.enums import AuditAction
from services.kernel.errors import NotFound
from services.kernel.file_streams import check_content_type, clean_filename, require_data
from services.kernel.storage import normalize_sha256
from services.kernel.storage.ownership import owned_by_row
from services.kernel.validation import Page, optional_text, require_text
from services.knowledge.document_types import DEFAULT_CONTENT_TYPES, parse_document_type
from services.knowledge.models import DocumentType, KnowledgeDocument
from services.knowledge.repositories import KnowledgeChunkRepository, KnowledgeDocumentRepository
from services.knowledge.use_cases.deps import KnowledgeDeps
from services.knowledge.use_cases.uploads import document_key

ENTITY = "knowledge_document"
MAX_TITLE_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 10_000


@dataclass(frozen=True)
class DocumentUpload:
    """The first message of an upload, as the client sent it."""

    title: str
    description: str
    document_type: str
    filename: str
    content_type: str
    sha256: str


class DocumentUseCases:
    def __init__(self, deps: KnowledgeDeps) -> None:
        self.deps = deps

    async def upload(self, info: DocumentUpload, chunks: AsyncIterator[bytes]) -> KnowledgeDocument:
        """Stream the file into storage (size limit, SHA-256 on the way, declared checksum
        checked), then write the row and its UPLOAD event in one transaction."""
        principal = require_user()
        title = require_text("title", info.title, max_length=MAX_TITLE_LENGTH)
        description = optional_text(
            "description", info.description, max_length=MAX_DESCRIPTION_LENGTH
        )
        document_type = parse_document_type("document_type", info.document_type)
        filename = clean_filename("filename", info.filename)
        content_type = check_content_type(
            "content_type", info.content_type, DEFAULT_CONTENT_TYPES[document_type]
        )
        declared = normalize_sha256("sha256", info.sha256)
        document_id = uuid.uuid4()
        stored = await self.deps.storage.put(
            document_key(document_id),
            await require_data(chunks),
            max_size=self.deps.settings.max_knowledge_document_size_bytes,
            expected_sha256=declared,
            content_type=content_type,
        )
        async with owned_by_row(self.deps.storage, stored), self.deps.db.unit_of_work() as session:
            document = await KnowledgeDocumentRepository(session).create(
                {
                    "id": document_id,
                    "title": title,
                    "description": description,
                    "document_type": document_type.value,
                    "storage_key": stored.key,
                    "storage_bucket": stored.bucket,
                    "file_size": stored.size,
                    "uploaded_by": principal.user_id,
                    "document_metadata": {
                        "filename": filename,
                        "content_type": content_type,
                        "sha256": stored.sha256,
                    },
                }
            )
            self.deps.audit.record(
                session,
                AuditAction.UPLOAD,
                ENTITY,
                document.id,
                {
                    "title": title,
                    "document_type": document_type.value,
                    "filename": filename,
                    "file_size": stored.size,
                    "checksum": stored.sha256,
                },
            )
        self.deps.index_wakeup.set()
        return document

    async def list(self, document_type: DocumentType | None, page: Page) -> list[KnowledgeDocument]:
        async with self.deps.db.read_only() as session:
            return await KnowledgeDocumentRepository(session).list_active(
                document_type.value if document_type else None, page.offset, page.size
            )

    async def get(self, document_id: uuid.UUID) -> KnowledgeDocument:
        async with self.deps.db.read_only() as session:
            document = await KnowledgeDocumentRepository(session).get_active(document_id)
        if document is None:
            raise NotFound(ENTITY, document_id)
        return document

    async def delete(self, document_id: uuid.UUID) -> None:
        """Soft delete: is_active = false and its chunks removed from the index, with the
        DELETE event, in one transaction. The object stays in storage."""
        require_user()
        async with self.deps.db.unit_of_work() as session:
            documents = KnowledgeDocumentRepository(session)
            document = await documents.get_active(document_id, for_update=True)
            if document is None:
                raise NotFound(ENTITY, document_id)
            removed = await KnowledgeChunkRepository(session).delete_for_document(document_id)
            await documents.soft_delete(document_id)
            self.deps.audit.record(
                session,
                AuditAction.DELETE,
                ENTITY,
                document_id,
                {
                    "title": document.title,
                    "document_type": document.document_type,
                    "chunks_removed": removed,
                },
            )

    async def statistics(self) -> dict[str, dict[str, int]]:
        async with self.deps.db.read_only() as session:
            return await KnowledgeDocumentRepository(session).get_statistics()
