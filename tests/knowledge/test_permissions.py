"""The permission matrix: every RPC against every kind of caller. Allowed callers succeed;
the others get PERMISSION_DENIED, and a call without a token gets UNAUTHENTICATED."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from tagen.knowledge.v1 import knowledge_pb2 as pb

from services.knowledge.access import ACCESS
from tests.knowledge.conftest import document_stream, upload

CALLERS = ["requestor", "approver", "admin", "km", "service", "nobody"]
WRITERS = {"admin", "km"}
READERS = {"requestor", "approver", "admin", "km", "service"}

Call = Callable[[Any, Any, str], Awaitable[Any]]
CASES: dict[str, tuple[set[str], Call]] = {
    "UploadDocument": (
        WRITERS,
        lambda rpc, md, doc_id: rpc.UploadDocument(document_stream(b"# notes\n"), metadata=md),
    ),
    "ListDocuments": (
        READERS,
        lambda rpc, md, doc_id: rpc.ListDocuments(pb.ListDocumentsRequest(), metadata=md),
    ),
    "GetDocument": (
        READERS,
        lambda rpc, md, doc_id: rpc.GetDocument(
            pb.GetDocumentRequest(document_id=doc_id), metadata=md
        ),
    ),
    "DeleteDocument": (
        WRITERS,
        lambda rpc, md, doc_id: rpc.DeleteDocument(
            pb.DeleteDocumentRequest(document_id=doc_id), metadata=md
        ),
    ),
    "GetDocumentStatistics": (
        READERS,
        lambda rpc, md, doc_id: rpc.GetDocumentStatistics(
            pb.GetDocumentStatisticsRequest(), metadata=md
        ),
    ),
    "SearchKnowledge": (
        READERS,
        lambda rpc, md, doc_id: rpc.SearchKnowledge(
            pb.SearchKnowledgeRequest(query="notes", top_k=3), metadata=md
        ),
    ),
}


def test_every_rpc_is_in_the_matrix_and_the_access_table() -> None:
    service = pb.DESCRIPTOR.services_by_name["KnowledgeService"]
    names = {m.name for m in service.methods}
    assert names == set(CASES)
    assert {key.rsplit("/", 1)[1] for key in ACCESS} == names


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name", list(CASES))
async def test_matrix(rpc, cast, clean, name: str, caller: str) -> None:
    allowed, call = CASES[name]
    doc = await upload(rpc, cast.km, b"# notes\n")
    who = getattr(cast, caller)
    if caller in allowed:
        await call(rpc, who.md, doc.id)
        return
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call(rpc, who.md, doc.id)
    expected = (
        grpc.StatusCode.UNAUTHENTICATED if caller == "nobody" else grpc.StatusCode.PERMISSION_DENIED
    )
    assert err.value.code() == expected, err.value.details()


@pytest.mark.parametrize("token", ["garbage", "Bearer", "Bearer not.a.jwt"])
async def test_bad_tokens(rpc, token: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.SearchKnowledge(
            pb.SearchKnowledgeRequest(query="x"), metadata=(("authorization", token),)
        )
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
