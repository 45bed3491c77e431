"""SearchKnowledge: ranked chunks of active documents (the best match first), top_k, the
type filter, deleted documents never returned, and bad input naming the field."""

from __future__ import annotations

import grpc
import pytest
from tagen.knowledge.v1 import knowledge_pb2 as pb

from tests.knowledge.conftest import upload
from tests.knowledge.errors import bad_field

BEST = b"""# Timestamp recognition

Splunk finds the timestamp of an event with TIME_PREFIX and TIME_FORMAT. When the
timestamp is far into the event, raise MAX_TIMESTAMP_LOOKAHEAD. A wrong timestamp
format makes every timestamp fall back to the index time.
"""
SOME = b"""# Event line breaking

LINE_BREAKER splits the stream into events; SHOULD_LINEMERGE = false keeps each line
an event. The timestamp is read after breaking.
"""
NONE = b"""# Lookups

Lookups add fields from CSV files. Automatic lookups run at search time.
"""


async def search(rpc, caller, query: str, top_k: int = 0, document_type: str = ""):
    reply = await rpc.SearchKnowledge(
        pb.SearchKnowledgeRequest(query=query, top_k=top_k, document_type=document_type),
        metadata=caller.md,
    )
    return list(reply.results)


@pytest.fixture
async def corpus(rpc, cast, clean, indexer) -> dict[str, pb.KnowledgeDocument]:
    docs = {
        "best": await upload(rpc, cast.km, BEST, title="Timestamps"),
        "some": await upload(rpc, cast.km, SOME, title="Line breaking", document_type="splunk_doc"),
        "none": await upload(rpc, cast.km, NONE, title="Lookups"),
    }
    await indexer.run_once()
    return docs


async def test_the_best_match_comes_first(rpc, cast, corpus) -> None:
    results = await search(rpc, cast.requestor, "timestamps")
    assert [r.document_id for r in results] == [corpus["best"].id, corpus["some"].id]
    first = results[0]
    assert first.document_title == "Timestamps" and first.document_type == "markdown"
    assert first.chunk_ordinal == 0 and first.text.startswith("# Timestamp recognition")
    assert "**timestamp**" in first.snippet.lower()
    assert 0 < results[1].score < first.score < 1
    every_word = await search(rpc, cast.requestor, "timestamp format")
    assert [r.document_id for r in every_word] == [corpus["best"].id]
    either = await search(rpc, cast.requestor, "lookups OR linemerge")
    assert {r.document_id for r in either} == {corpus["none"].id, corpus["some"].id}
    assert await search(rpc, cast.requestor, '"format makes"') != []
    assert [r.document_id for r in await search(rpc, cast.requestor, "timestamp -breaking")] == [
        corpus["best"].id
    ]


async def test_top_k_and_type_filter(rpc, cast, corpus) -> None:
    assert len(await search(rpc, cast.service, "timestamp", top_k=1)) == 1
    assert len(await search(rpc, cast.service, "timestamp", top_k=50)) == 2
    only = await search(rpc, cast.service, "timestamp", document_type="splunk_doc")
    assert [r.document_id for r in only] == [corpus["some"].id]
    assert await search(rpc, cast.service, "kerberos") == []
    assert await search(rpc, cast.service, "the and of") == []  # stop words only


async def test_default_top_k_is_five(rpc, cast, clean, indexer) -> None:
    for n in range(7):
        await upload(rpc, cast.km, f"sourcetype number {n}".encode(), title=f"d{n}")
    await indexer.run_once()
    assert len(await search(rpc, cast.admin, "sourcetype")) == 5


async def test_deleted_documents_are_never_returned(rpc, cast, corpus) -> None:
    await rpc.DeleteDocument(
        pb.DeleteDocumentRequest(document_id=corpus["best"].id), metadata=cast.km.md
    )
    results = await search(rpc, cast.requestor, "timestamp", top_k=50)
    assert [r.document_id for r in results] == [corpus["some"].id]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.SearchKnowledgeRequest(query=""), "query"),
        (pb.SearchKnowledgeRequest(query="   "), "query"),
        (pb.SearchKnowledgeRequest(query="q" * 1001), "query"),
        (pb.SearchKnowledgeRequest(query="a\x00b"), "query"),
        (pb.SearchKnowledgeRequest(query="timestamp", top_k=-1), "top_k"),
        (pb.SearchKnowledgeRequest(query="timestamp", top_k=51), "top_k"),
        (pb.SearchKnowledgeRequest(query="timestamp", document_type="docx"), "document_type"),
    ],
)
async def test_bad_search_input(rpc, cast, request_, field) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.SearchKnowledge(request_, metadata=cast.requestor.md)
    assert bad_field(err.value) == field
