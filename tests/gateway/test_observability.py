"""What an operator sees of a real call through the gateway: JSON access lines with the
correlation id in the gateway and in the service, Prometheus counters that move, one trace
across both, and liveness apart from readiness."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.kernel.enums import UserRoleEnum
from tests.gateway.conftest import auth, serve_gateway
from tests.observability import captured_logs, metric_value, span_exporter, spans_named

GET_USER = "tagen.identity.v1.IdentityService/GetUser"


@pytest.fixture
def spans():
    exporter = span_exporter()
    yield exporter
    exporter.clear()


async def test_the_correlation_id_is_on_the_lines_of_every_service_touched(http, people):
    admin = await people.add("olga", UserRoleEnum.ADMIN)
    token = people.tokens.user(admin, UserRoleEnum.ADMIN)
    request_id = str(uuid.uuid4())
    with captured_logs() as logs:
        reply = await http.get(
            f"/v1/users/{admin}", headers={**auth(token), "x-request-id": request_id}
        )
        assert reply.status_code == 200, reply.text
    lines = logs.with_request_id(request_id)
    by_service = {line["service"]: line for line in lines if line["event"] in ("http", "rpc")}
    assert set(by_service) == {"gateway", "identity"}
    rpc = by_service["identity"]
    assert rpc["method"] == GET_USER and rpc["code"] == "OK"
    assert rpc["user_id"] == str(admin) and rpc["duration_ms"] >= 0
    assert rpc["level"] == "info" and rpc["logger"] == "tagen.access"
    http_line = by_service["gateway"]
    assert http_line["status"] == 200 and "GetUser" in http_line["route"]
    assert http_line["method"] == f"GET /v1/users/{admin}"


async def test_metrics_count_calls_by_method_and_code(http, people):
    admin = await people.add("mia", UserRoleEnum.ADMIN)
    headers = auth(people.tokens.user(admin, UserRoleEnum.ADMIN))

    async def scrape() -> str:
        page = await http.get("/metrics")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/plain")
        return page.text

    before = await scrape()
    for _ in range(3):
        assert (await http.get(f"/v1/users/{admin}", headers=headers)).status_code == 200
    missing = await http.get(f"/v1/users/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404
    after = await scrape()

    def moved(name: str, **labels: str) -> float:
        return metric_value(after, name, **labels) - metric_value(before, name, **labels)

    ok = {"service": "identity", "method": GET_USER, "code": "OK"}
    assert moved("tagen_rpc_requests_total", **ok) == 3
    assert moved("tagen_rpc_requests_total", **{**ok, "code": "NOT_FOUND"}) == 1
    latency = {"service": "identity", "method": GET_USER}
    assert moved("tagen_rpc_duration_seconds_count", **latency) == 4
    route = {"route": "IdentityService_GetUser", "method": "GET"}
    assert moved("tagen_http_requests_total", **route, status="200") == 3
    assert moved("tagen_http_requests_total", **route, status="404") == 1
    assert moved("tagen_http_request_duration_seconds_count", **route) == 4
    assert metric_value(after, "tagen_db_pool_in_use", service="identity") >= 0
    assert "tagen_db_pool_idle" in after and "tagen_health_serving" in after


async def test_one_trace_spans_the_gateway_and_the_service(http, people, spans):
    admin = await people.add("tara", UserRoleEnum.ADMIN)
    headers = auth(people.tokens.user(admin, UserRoleEnum.ADMIN))
    assert (await http.get(f"/v1/users/{admin}", headers=headers)).status_code == 200
    (gateway,) = spans_named(spans, f"GET /v1/users/{admin}")
    (service,) = spans_named(spans, GET_USER)
    assert service.context.trace_id == gateway.context.trace_id
    assert service.parent is not None and service.parent.span_id == gateway.context.span_id
    assert service.attributes["rpc.grpc.status_code"] == "OK"
    assert gateway.attributes["http.response.status_code"] == 200


async def test_a_callers_traceparent_is_continued(http, people, spans):
    admin = await people.add("ugo", UserRoleEnum.ADMIN)
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    headers = {
        **auth(people.tokens.user(admin, UserRoleEnum.ADMIN)),
        "traceparent": f"00-{trace_id}-{parent_id}-01",
    }
    assert (await http.get(f"/v1/users/{admin}", headers=headers)).status_code == 200
    (gateway,) = spans_named(spans, f"GET /v1/users/{admin}")
    (service,) = spans_named(spans, GET_USER)
    assert format(gateway.context.trace_id, "032x") == trace_id
    assert gateway.parent is not None and format(gateway.parent.span_id, "016x") == parent_id
    assert service.context.trace_id == gateway.context.trace_id


async def test_liveness_does_not_follow_the_backends(runtime):
    with_nothing = await serve_gateway(runtime, {"identity": "127.0.0.1:1"})
    try:
        base = f"http://127.0.0.1:{with_nothing.port}"
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/livez")).json() == {"status": "SERVING"}
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["status"] == "NOT_SERVING"
            assert ready.json()["backends"] == {"identity": "UNAVAILABLE"}
            assert (await client.get("/healthz")).status_code == 503
    finally:
        await with_nothing.stop()


async def test_readiness_when_every_backend_serves(http):
    for path in ("/readyz", "/healthz"):
        reply = await http.get(path)
        assert reply.status_code == 200 and reply.json()["status"] == "SERVING"
