"""What the gateway forwards (token, correlation id, client IP and agent) and CORS."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text

from services.kernel.enums import UserRoleEnum
from tests.gateway.conftest import WEB_ORIGIN, serve_gateway


async def seen(http, **headers) -> tuple[httpx.Response, dict[str, str]]:
    reply = await http.get("/v1/test/seen", headers=headers)
    assert reply.status_code == 200, reply.text
    return reply, reply.json()["metadata"]


async def test_a_well_formed_request_id_is_kept_and_forwarded(http):
    request_id = str(uuid.uuid4())
    reply, metadata = await seen(http, **{"x-request-id": request_id})
    assert reply.headers["x-request-id"] == request_id
    assert metadata["x-request-id"] == request_id


async def test_a_missing_or_malformed_request_id_is_replaced(http):
    for value in (None, "not-a-uuid", "12345678123456781234567812345678", "' OR 1=1"):
        headers = {} if value is None else {"x-request-id": value}
        reply, metadata = await seen(http, **headers)
        assigned = reply.headers["x-request-id"]
        assert assigned != value
        assert uuid.UUID(assigned).version == 4
        assert metadata["x-request-id"] == assigned


async def test_the_request_id_is_on_error_responses_too(http):
    request_id = str(uuid.uuid4())
    reply = await http.get("/v1/nowhere", headers={"x-request-id": request_id})
    assert reply.status_code == 404 and reply.headers["x-request-id"] == request_id


async def test_authorization_ip_and_agent_are_forwarded(http):
    _, metadata = await seen(
        http,
        authorization="Bearer some.token.value",
        **{"user-agent": "probe/1.0", "x-forwarded-for": "198.51.100.1, 203.0.113.9"},
    )
    assert metadata["authorization"] == "Bearer some.token.value"
    assert metadata["x-client-user-agent"] == "probe/1.0"
    # The entry the trusted proxy appended (the last one) is the client.
    assert metadata["x-client-ip"] == "203.0.113.9"


async def test_a_garbage_forwarded_for_falls_back_to_the_peer(http):
    _, metadata = await seen(http, **{"x-forwarded-for": "not-an-ip"})
    assert metadata["x-client-ip"] == "127.0.0.1"


async def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(runtime, echo_backend):
    running = await serve_gateway(
        runtime, {"gatewaytest": echo_backend.address}, gateway_trust_proxy=False
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.port}") as client:
            _, metadata = await seen(client, **{"x-forwarded-for": "203.0.113.9"})
            assert metadata["x-client-ip"] == "127.0.0.1"
    finally:
        await running.stop()


async def test_the_login_audit_event_carries_ip_agent_and_request_id(http, people, database):
    await people.add("audited", UserRoleEnum.REQUESTOR)
    request_id = str(uuid.uuid4())
    reply = await http.post(
        "/v1/auth:login",
        json={"username": "audited", "password": "correct-horse-1"},
        headers={
            "user-agent": "Mozilla/5.0 (tagen-test)",
            "x-forwarded-for": "203.0.113.77",
            "x-request-id": request_id,
        },
    )
    assert reply.status_code == 200, reply.text
    async with database.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT action, entity_type, ip_address, user_agent, correlation_id "
                    "FROM identity.audit_outbox WHERE correlation_id = :cid"
                ),
                {"cid": uuid.UUID(request_id)},
            )
        ).all()
    assert len(rows) == 1
    action, entity_type, ip, agent, correlation = rows[0]
    assert (action, entity_type) == ("LOGIN", "user")
    assert ip == "203.0.113.77"
    assert agent == "Mozilla/5.0 (tagen-test)"
    assert str(correlation) == request_id


async def test_cors_for_a_configured_origin(http):
    reply = await http.get("/healthz", headers={"origin": WEB_ORIGIN})
    assert reply.headers["access-control-allow-origin"] == WEB_ORIGIN
    assert "x-request-id" in reply.headers["access-control-expose-headers"]
    assert reply.headers["vary"] == "Origin"
    other = await http.get("/healthz", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


async def test_cors_preflight(http):
    reply = await http.options(
        "/v1/users/abc",
        headers={
            "origin": WEB_ORIGIN,
            "access-control-request-method": "PATCH",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert reply.status_code == 204
    assert reply.headers["access-control-allow-origin"] == WEB_ORIGIN
    assert reply.headers["access-control-allow-methods"] == "DELETE, GET, PATCH"
    assert "authorization" in reply.headers["access-control-allow-headers"]
    refused = await http.options(
        "/v1/users/abc",
        headers={"origin": "https://evil.example", "access-control-request-method": "GET"},
    )
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    unknown = await http.options(
        "/v1/nowhere", headers={"origin": WEB_ORIGIN, "access-control-request-method": "GET"}
    )
    assert unknown.status_code == 404
