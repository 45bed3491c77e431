"""KnowledgeService over gRPC: translate proto <-> use cases, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Any

from tagen.knowledge.v1 import knowledge_pb2 as pb
from tagen.knowledge.v1 import knowledge_pb2_grpc as pb_grpc

from services.kernel.file_streams import split_upload
from services.kernel.proto_convert import struct, text, timestamp
from services.kernel.validation import parse_page, parse_uuid
from services.knowledge.document_types import optional_document_type
from services.knowledge.models import KnowledgeDocument
from services.knowledge.repositories import ChunkHit
from services.knowledge.use_cases.documents import DocumentUpload, DocumentUseCases
from services.knowledge.use_cases.search import SearchUseCases

Ctx = Any  # grpc.aio.ServicerContext


def document_message(document: KnowledgeDocument) -> pb.KnowledgeDocument:
    return pb.KnowledgeDocument(
        id=str(document.id),
        title=document.title,
        description=text(document.description),
        document_type=document.document_type,
        storage_key=document.storage_key,
        storage_bucket=document.storage_bucket,
        file_size=document.file_size or 0,
        uploaded_by=str(document.uploaded_by),
        pinecone_indexed=document.pinecone_indexed,
        pinecone_index_name=text(document.pinecone_index_name),
        embedding_count=document.embedding_count or 0,
        metadata=struct(document.document_metadata),
        is_active=document.is_active,
        created_at=timestamp(document.created_at),
        updated_at=timestamp(document.updated_at),
    )


def result_message(hit: ChunkHit) -> pb.SearchResult:
    return pb.SearchResult(
        document_id=str(hit.document_id),
        document_title=hit.document_title,
        document_type=hit.document_type,
        chunk_ordinal=hit.ordinal,
        snippet=hit.snippet,
        text=hit.text,
        score=hit.score,
    )


def upload_info(metadata: pb.DocumentMetadata) -> DocumentUpload:
    return DocumentUpload(
        title=metadata.title,
        description=metadata.description,
        document_type=metadata.document_type,
        filename=metadata.filename,
        content_type=metadata.content_type,
        sha256=metadata.sha256,
    )


class KnowledgeServicer(pb_grpc.KnowledgeServiceServicer):
    def __init__(self, documents: DocumentUseCases, search: SearchUseCases) -> None:
        self.documents, self.search = documents, search

    async def UploadDocument(
        self, request_iterator: AsyncIterable[pb.UploadDocumentRequest], context: Ctx
    ) -> pb.UploadDocumentResponse:
        metadata, chunks = await split_upload(request_iterator)
        document = await self.documents.upload(upload_info(metadata), chunks)
        return pb.UploadDocumentResponse(document=document_message(document))

    async def ListDocuments(
        self, request: pb.ListDocumentsRequest, context: Ctx
    ) -> pb.ListDocumentsResponse:
        page = parse_page(request.page_size, request.page_token)
        document_type = optional_document_type("document_type", request.document_type)
        found = await self.documents.list(document_type, page)
        return pb.ListDocumentsResponse(
            documents=[document_message(d) for d in found],
            next_page_token=page.next_token(len(found)),
        )

    async def GetDocument(
        self, request: pb.GetDocumentRequest, context: Ctx
    ) -> pb.GetDocumentResponse:
        document = await self.documents.get(parse_uuid("document_id", request.document_id))
        return pb.GetDocumentResponse(document=document_message(document))

    async def DeleteDocument(
        self, request: pb.DeleteDocumentRequest, context: Ctx
    ) -> pb.DeleteDocumentResponse:
        await self.documents.delete(parse_uuid("document_id", request.document_id))
        return pb.DeleteDocumentResponse()

    async def GetDocumentStatistics(
        self, request: pb.GetDocumentStatisticsRequest, context: Ctx
    ) -> pb.GetDocumentStatisticsResponse:
        stats = await self.documents.statistics()
        return pb.GetDocumentStatisticsResponse(
            by_type=stats["by_type"],
            indexing_status=pb.IndexingStatus(**stats["indexing_status"]),
        )

    async def SearchKnowledge(
        self, request: pb.SearchKnowledgeRequest, context: Ctx
    ) -> pb.SearchKnowledgeResponse:
        hits = await self.search.search(
            request.query,
            request.top_k,
            optional_document_type("document_type", request.document_type),
        )
        return pb.SearchKnowledgeResponse(results=[result_message(h) for h in hits])
