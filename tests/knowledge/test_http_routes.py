"""The HTTP contract rows of the knowledge context, through the real gateway in front of a
KnowledgeService: multipart upload, list by type, get, statistics, search, delete, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.gateway.app import RunningGateway, start_gateway
from services.kernel.runtime import Runtime
from services.kernel.server import GrpcService

GUIDE = b"# Sourcetypes\n\nA sourcetype names the format of events; props.conf configures it.\n"


@pytest.fixture(scope="module")
async def gateway(
    knowledge_runtime: Runtime, knowledge_service: GrpcService
) -> AsyncIterator[RunningGateway]:
    addresses = {"knowledge": knowledge_service.address}
    running = await start_gateway(
        knowledge_runtime, "127.0.0.1", 0, addresses=addresses, contexts=addresses
    )
    yield running
    await running.stop()


@pytest.fixture
async def http(gateway: RunningGateway, clean) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{gateway.port}", timeout=10.0
    ) as client:
        yield client


def auth(caller) -> dict[str, str]:
    return {"Authorization": f"Bearer {caller.token}"}


async def test_document_routes(http, cast, indexer) -> None:
    created = await http.post(
        "/v1/knowledge/documents",
        data={"title": "Sourcetypes", "document_type": "markdown", "description": "basics"},
        files={"file": ("sourcetypes.md", GUIDE, "text/markdown")},
        headers=auth(cast.km),
    )
    assert created.status_code == 200, created.text
    doc = created.json()["document"]
    assert doc["title"] == "Sourcetypes" and doc["metadata"]["filename"] == "sourcetypes.md"
    await indexer.run_once()
    listed = await http.get(
        "/v1/knowledge/documents",
        params={"document_type": "markdown"},
        headers=auth(cast.requestor),
    )
    assert [d["id"] for d in listed.json()["documents"]] == [doc["id"]]
    got = await http.get(f"/v1/knowledge/documents/{doc['id']}", headers=auth(cast.approver))
    assert got.json()["document"]["pinecone_indexed"] is True
    stats = await http.get("/v1/knowledge/documents:statistics", headers=auth(cast.requestor))
    assert stats.json()["by_type"]["markdown"] == "1"  # int64 in proto3 JSON: a string
    found = await http.post(
        "/v1/knowledge:search", json={"query": "sourcetype", "top_k": 3}, headers=auth(cast.admin)
    )
    results = found.json()["results"]
    assert results[0]["document_id"] == doc["id"] and results[0]["score"] > 0
    assert "**sourcetype**" in results[0]["snippet"]
    gone = await http.delete(f"/v1/knowledge/documents/{doc['id']}", headers=auth(cast.km))
    assert gone.status_code == 200
    again = await http.get(f"/v1/knowledge/documents/{doc['id']}", headers=auth(cast.km))
    assert again.status_code == 404


async def test_errors_over_http(http, cast) -> None:
    bad = await http.post(
        "/v1/knowledge:search", json={"query": "x", "top_k": 99}, headers=auth(cast.requestor)
    )
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_ARGUMENT"
    assert "top_k" in bad.text
    denied = await http.post(
        "/v1/knowledge/documents",
        data={"title": "x", "document_type": "markdown"},
        files={"file": ("x.md", b"x", "text/markdown")},
        headers=auth(cast.requestor),
    )
    assert denied.status_code == 403
    anonymous = await http.get("/v1/knowledge/documents")
    assert anonymous.status_code == 401
    malformed = await http.get("/v1/knowledge/documents/nope", headers=auth(cast.km))
    assert malformed.status_code == 400 and "document_id" in malformed.text
