"""gRPC status -> HTTP status, the error body, and backends that are down or slow."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.gateway.conftest import serve_gateway

MAPPING = [
    ("INVALID_ARGUMENT", 400),
    ("FAILED_PRECONDITION", 400),
    ("OUT_OF_RANGE", 400),
    ("UNAUTHENTICATED", 401),
    ("PERMISSION_DENIED", 403),
    ("NOT_FOUND", 404),
    ("ALREADY_EXISTS", 409),
    ("ABORTED", 409),
    ("RESOURCE_EXHAUSTED", 429),
    ("CANCELLED", 499),
    ("UNIMPLEMENTED", 501),
    ("UNAVAILABLE", 503),
    ("DEADLINE_EXCEEDED", 504),
    ("UNKNOWN", 500),
    ("INTERNAL", 500),
    ("DATA_LOSS", 500),
]


@pytest.mark.parametrize(("code", "status"), MAPPING)
async def test_each_grpc_code_has_its_http_status(http, code, status):
    reply = await http.post(f"/v1/test/failures/{code}", json={"message": f"it is {code}"})
    assert reply.status_code == status
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"code": code, "message": f"it is {code}", "details": []}
    assert ("www-authenticate" in reply.headers) == (code == "UNAUTHENTICATED")


async def test_rich_details_are_passed_on(http):
    reply = await http.post(
        "/v1/test/failures/INVALID_ARGUMENT",
        json={"message": "must be positive", "field": "book.pages"},
    )
    assert reply.status_code == 400
    body = reply.json()
    assert body["code"] == "INVALID_ARGUMENT" and body["message"] == "must be positive"
    [detail] = body["details"]
    assert detail["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert detail["field_violations"][0]["field"] == "book.pages"
    assert detail["field_violations"][0]["description"] == "must be positive"


async def test_unauthenticated_from_a_backend_with_a_token_sent(http):
    reply = await http.post(
        "/v1/test/failures/UNAUTHENTICATED",
        json={"message": "expired"},
        headers={"Authorization": "Bearer abc"},
    )
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == 'Bearer realm="tagen", error="invalid_token"'


async def test_malformed_authorization_header_is_401_at_the_gateway(http):
    reply = await http.get(
        "/v1/test/seen", headers={"Authorization": "Bearer café".encode("latin-1")}
    )
    assert reply.status_code == 401
    assert reply.json()["code"] == "UNAUTHENTICATED"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_backend_that_is_down_gives_503_quickly(runtime, echo_backend):
    down = f"127.0.0.1:{closed_port()}"
    running = await serve_gateway(
        runtime,
        {"identity": down, "gatewaytest": echo_backend.address},
        gateway_backend_timeout_seconds=30.0,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.port}") as client:
            for _ in range(2):  # the first call connects, the second finds the channel failed
                started = time.monotonic()
                reply = await client.post("/v1/auth:login", json={"username": "x"})
                assert time.monotonic() - started < 3.0
                assert reply.status_code == 503
                body = reply.json()
                assert body["code"] == "UNAVAILABLE"
                assert down not in body["message"]  # internal addresses are not shown
            # One backend down degrades the gateway; it stays ready and alive.
            for path in ("/healthz", "/readyz"):
                health = await client.get(path)
                assert health.status_code == 200
                assert health.json() == {
                    "status": "DEGRADED",
                    "backends": {"gatewaytest": "SERVING", "identity": "UNAVAILABLE"},
                }
            assert (await client.get("/livez")).status_code == 200
    finally:
        await running.stop()


async def test_a_slow_backend_hits_the_deadline_504(runtime, echo_backend):
    running = await serve_gateway(
        runtime, {"gatewaytest": echo_backend.address}, gateway_backend_timeout_seconds=0.3
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.port}") as client:
            fast = await client.get("/v1/test/sleep", params={"seconds": "0.01"})
            assert fast.status_code == 200
            started = time.monotonic()
            slow = await client.get("/v1/test/sleep", params={"seconds": "5"})
            assert time.monotonic() - started < 2.0
            assert slow.status_code == 504
            assert slow.json()["code"] == "DEADLINE_EXCEEDED"
    finally:
        await running.stop()


async def test_healthz_when_every_backend_serves(http):
    reply = await http.get("/healthz")
    assert reply.status_code == 200
    assert reply.json() == {
        "status": "SERVING",
        "backends": {"gatewaytest": "SERVING", "identity": "SERVING"},
    }
