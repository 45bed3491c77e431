"""Documents over gRPC on the local-directory backend: streamed upload (checksum, size limit,
service-generated keys, UPLOAD event), refusals that leave no row and no object, listing by
type with pages, reading, soft delete (DELETE event) and statistics."""

from __future__ import annotations

import uuid

import grpc
import pytest
from tagen.knowledge.v1 import knowledge_pb2 as pb

from tests.knowledge.conftest import (
    SMALL_LIMIT,
    audit_events,
    document_rows,
    document_stream,
    sha256,
    stored_files,
    upload,
)
from tests.knowledge.errors import bad_field

GUIDE = b"# Apache access logs\n\nUse TIME_PREFIX to find the timestamp.\n" * 20


async def test_upload_streams_to_storage_and_records_the_event(rpc, cast, clean, objects_root):
    doc = await upload(
        rpc,
        cast.km,
        GUIDE,
        title="  Apache guide ",
        description="How to onboard",
        filename="C:\\docs\\guide.md",
        sha256=sha256(GUIDE).upper(),
    )
    assert doc.title == "Apache guide" and doc.description == "How to onboard"
    assert doc.document_type == "markdown" and doc.file_size == len(GUIDE)
    assert doc.uploaded_by == str(cast.km.user_id) and doc.is_active
    assert not doc.pinecone_indexed and doc.embedding_count == 0
    assert doc.storage_key.startswith(f"knowledge/{doc.id}/") and "guide" not in doc.storage_key
    assert dict(doc.metadata) == {
        "filename": "guide.md",
        "content_type": "text/markdown",
        "sha256": sha256(GUIDE),
    }
    assert (objects_root / doc.storage_key).read_bytes() == GUIDE
    events = await audit_events(clean, doc.id)
    assert [(e.action, e.entity_type, e.user_id) for e in events] == [
        ("UPLOAD", "knowledge_document", cast.km.user_id)
    ]
    assert events[0].details["checksum"] == sha256(GUIDE)


async def test_admin_uploads_a_pdf_with_its_content_type(rpc, cast, clean) -> None:
    doc = await upload(
        rpc,
        cast.admin,
        b"%PDF-1.4 ...",
        document_type="pdf",
        filename="x.pdf",
        content_type="application/pdf; charset=binary",
    )
    assert doc.document_type == "pdf" and doc.metadata["content_type"] == "application/pdf"


async def test_checksum_mismatch_keeps_nothing(rpc, cast, clean, objects_root) -> None:
    before = stored_files(objects_root)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await upload(rpc, cast.km, GUIDE, sha256="0" * 64)
    assert bad_field(err.value) == "sha256"
    assert stored_files(objects_root) == before
    assert await document_rows(clean) == [] and await audit_events(clean) == []


async def test_size_limit_keeps_nothing(rpc, cast, clean, objects_root) -> None:
    before = stored_files(objects_root)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await upload(rpc, cast.km, b"x" * (SMALL_LIMIT + 1))
    assert bad_field(err.value) == "chunk"
    assert stored_files(objects_root) == before
    assert await document_rows(clean) == [] and await audit_events(clean) == []
    exact = await upload(rpc, cast.km, b"y" * SMALL_LIMIT)
    assert exact.file_size == SMALL_LIMIT


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "t" * 256}, "title"),
        ({"document_type": ""}, "document_type"),
        ({"document_type": "docx"}, "document_type"),
        ({"document_type": "PDF"}, "document_type"),
        ({"filename": "../"}, "filename"),
        ({"content_type": "not a type"}, "content_type"),
        ({"sha256": "abc"}, "sha256"),
        ({"description": "d" * 10_001}, "description"),
    ],
)
async def test_bad_metadata_is_refused_before_storing(
    rpc, cast, clean, objects_root, metadata, field
) -> None:
    before = stored_files(objects_root)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await upload(rpc, cast.km, GUIDE, **metadata)
    assert bad_field(err.value) == field
    assert stored_files(objects_root) == before
    assert await document_rows(clean) == []


async def test_stream_shape_is_checked(rpc, cast, clean) -> None:
    async def chunk_first():
        yield pb.UploadDocumentRequest(chunk=b"data")

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadDocument(chunk_first(), metadata=cast.km.md)
    assert bad_field(err.value) == "metadata"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.UploadDocument(document_stream(b""), metadata=cast.km.md)
    assert bad_field(err.value) == "chunk"


async def test_list_filters_by_type_and_pages(rpc, cast, clean) -> None:
    mds = [await upload(rpc, cast.km, GUIDE, title=f"md {n}") for n in range(3)]
    pdf = await upload(rpc, cast.km, b"%PDF", document_type="pdf", title="pdf")
    listed = await rpc.ListDocuments(pb.ListDocumentsRequest(), metadata=cast.requestor.md)
    assert [d.id for d in listed.documents] == [pdf.id] + [d.id for d in reversed(mds)]
    assert listed.next_page_token == ""
    only = await rpc.ListDocuments(
        pb.ListDocumentsRequest(document_type="pdf"), metadata=cast.service.md
    )
    assert [d.id for d in only.documents] == [pdf.id]
    first = await rpc.ListDocuments(
        pb.ListDocumentsRequest(document_type="markdown", page_size=2), metadata=cast.km.md
    )
    second = await rpc.ListDocuments(
        pb.ListDocumentsRequest(
            document_type="markdown", page_size=2, page_token=first.next_page_token
        ),
        metadata=cast.km.md,
    )
    assert [d.id for d in [*first.documents, *second.documents]] == [d.id for d in reversed(mds)]
    assert second.next_page_token == ""


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.ListDocumentsRequest(document_type="word"), "document_type"),
        (pb.ListDocumentsRequest(page_size=-1), "page_size"),
        (pb.ListDocumentsRequest(page_size=501), "page_size"),
        (pb.ListDocumentsRequest(page_token="!!"), "page_token"),
    ],
)
async def test_bad_list_requests(rpc, cast, request_, field) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.ListDocuments(request_, metadata=cast.requestor.md)
    assert bad_field(err.value) == field


async def test_get_and_soft_delete(rpc, cast, clean, objects_root) -> None:
    doc = await upload(rpc, cast.km, GUIDE)
    got = await rpc.GetDocument(
        pb.GetDocumentRequest(document_id=doc.id), metadata=cast.approver.md
    )
    assert got.document == doc
    await rpc.DeleteDocument(pb.DeleteDocumentRequest(document_id=doc.id), metadata=cast.admin.md)
    for call in (
        rpc.GetDocument(pb.GetDocumentRequest(document_id=doc.id), metadata=cast.km.md),
        rpc.DeleteDocument(pb.DeleteDocumentRequest(document_id=doc.id), metadata=cast.km.md),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    listed = await rpc.ListDocuments(pb.ListDocumentsRequest(), metadata=cast.km.md)
    assert list(listed.documents) == []
    rows = await document_rows(clean)
    assert [(r.id, r.is_active) for r in rows] == [(uuid.UUID(doc.id), False)]
    assert (objects_root / doc.storage_key).exists()  # a soft delete keeps the object
    events = await audit_events(clean, doc.id)
    assert [(e.action, e.user_id) for e in events] == [
        ("UPLOAD", cast.km.user_id),
        ("DELETE", cast.admin.user_id),
    ]


@pytest.mark.parametrize("value", ["", "not-a-uuid", "123"])
async def test_malformed_document_ids(rpc, cast, value) -> None:
    for call in (
        rpc.GetDocument(pb.GetDocumentRequest(document_id=value), metadata=cast.km.md),
        rpc.DeleteDocument(pb.DeleteDocumentRequest(document_id=value), metadata=cast.km.md),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        assert bad_field(err.value) == "document_id"


async def test_unknown_document_is_not_found(rpc, cast) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.GetDocument(
            pb.GetDocumentRequest(document_id=str(uuid.uuid4())), metadata=cast.km.md
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_statistics(rpc, cast, clean, indexer) -> None:
    await upload(rpc, cast.km, GUIDE)
    await upload(rpc, cast.km, b"%PDF-broken", document_type="pdf", title="broken")
    gone = await upload(rpc, cast.km, GUIDE, document_type="splunk_doc", title="gone")
    stats = await rpc.GetDocumentStatistics(
        pb.GetDocumentStatisticsRequest(), metadata=cast.requestor.md
    )
    assert dict(stats.by_type) == {"pdf": 1, "markdown": 1, "ta_archive": 0, "splunk_doc": 1}
    assert (stats.indexing_status.indexed, stats.indexing_status.unindexed) == (0, 3)
    await indexer.run_once()
    await rpc.DeleteDocument(pb.DeleteDocumentRequest(document_id=gone.id), metadata=cast.km.md)
    stats = await rpc.GetDocumentStatistics(
        pb.GetDocumentStatisticsRequest(), metadata=cast.service.md
    )
    assert dict(stats.by_type) == {"pdf": 1, "markdown": 1, "ta_archive": 0, "splunk_doc": 0}
    assert (stats.indexing_status.indexed, stats.indexing_status.unindexed) == (2, 0)
