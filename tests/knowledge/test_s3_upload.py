"""The same upload, indexing and refusals through a KnowledgeService whose storage is S3
(moto's server over real HTTP)."""

from __future__ import annotations

import dataclasses

import grpc
import pytest
from tagen.knowledge.v1 import knowledge_pb2 as pb

from services.knowledge.indexing import DocumentIndexer
from tests.kernel.s3_server import moto_storage
from tests.knowledge.conftest import (
    S3_BUCKET,
    SMALL_LIMIT,
    audit_events,
    document_rows,
    sha256,
    upload,
)
from tests.knowledge.documents import ta_archive
from tests.knowledge.errors import bad_field


def objects() -> set[str]:
    listed = moto_storage(S3_BUCKET).client.list_objects_v2(Bucket=S3_BUCKET)
    return {o["Key"] for o in listed.get("Contents", [])}


async def test_upload_and_index_on_s3(s3_rpc, cast, clean, deps) -> None:
    archive = ta_archive()
    doc = await upload(s3_rpc, cast.km, archive, document_type="ta_archive", sha256=sha256(archive))
    assert doc.storage_bucket == S3_BUCKET and doc.storage_key in objects()
    client = moto_storage(S3_BUCKET).client
    assert client.get_object(Bucket=S3_BUCKET, Key=doc.storage_key)["Body"].read() == archive
    head = client.head_object(Bucket=S3_BUCKET, Key=doc.storage_key)
    assert head["ContentType"] == "application/gzip"
    s3_deps = dataclasses.replace(deps, storage=moto_storage(S3_BUCKET))
    run = await DocumentIndexer(s3_deps).run_once()
    assert [str(d) for d in run.indexed] == [doc.id]
    hits = await s3_rpc.SearchKnowledge(
        pb.SearchKnowledgeRequest(query="apache access"), metadata=cast.service.md
    )
    assert hits.results and hits.results[0].document_id == doc.id


async def test_refused_uploads_on_s3_keep_nothing(s3_rpc, cast, clean) -> None:
    before = objects()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await upload(s3_rpc, cast.km, b"text", sha256="1" * 64)
    assert bad_field(err.value) == "sha256"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await upload(s3_rpc, cast.km, b"z" * (SMALL_LIMIT + 1))
    assert bad_field(err.value) == "chunk"
    assert objects() == before
    assert await document_rows(clean) == [] and await audit_events(clean) == []
