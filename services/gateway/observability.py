"""What the gateway tells an operator about each HTTP request: one access log line (route,
status, duration, correlation id), request counters and a latency histogram by route, and a
server span whose W3C traceparent (continuing the caller's, when it sent one) goes on to the
backend in the gRPC metadata."""

from __future__ import annotations

import time
import uuid
from typing import Any

from services.gateway.asgi import Message, Receive, Scope, Send
from services.gateway.forwarding import Incoming
from services.kernel.call_context import CallContext, set_call
from services.kernel.logs import LogScope, access_log, reset_scope, set_scope
from services.kernel.metrics import HTTP_LATENCY, HTTP_REQUESTS
from services.kernel.tracing import ServerSpan

#: The scope key where the gateway names the route it matched (an operation id or a fixed
#: path); requests that match nothing are counted as "unmatched".
ROUTE_KEY = "tagen.route"
UNMATCHED = "unmatched"
#: Paths probed every few seconds by the platform: counted, not logged.
QUIET_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/metrics"})


def bind_request(incoming: Incoming) -> None:
    """Make the request's correlation id, client IP and user agent the call context of the
    task serving it (uvicorn serves each request in a task of its own), so every line logged
    while serving it names the request."""
    set_call(
        CallContext(
            correlation_id=uuid.UUID(incoming.request_id.decode()),
            ip_address=incoming.client_ip,
            user_agent=incoming.user_agent,
        )
    )


def _traceparent(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name in (b"traceparent", b"tracestate"):
            found[name.decode()] = value.decode("latin-1")
    return found


class ObservedApp:
    """ASGI middleware around the gateway: access log, metrics and the request's span."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method: str = scope["method"]
        path: str = scope["path"]
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        span = ServerSpan(
            f"{method} {path}",
            _traceparent(scope),
            {"http.request.method": method, "url.path": path},
        )
        scope_token = set_scope(LogScope("gateway", f"{method} {path}"))
        try:
            await self.app(scope, receive, observed_send)
        finally:
            elapsed = time.perf_counter() - started
            route = str(scope.get(ROUTE_KEY, UNMATCHED))
            HTTP_REQUESTS.labels(route, method, str(status)).inc()
            HTTP_LATENCY.labels(route, method).observe(elapsed)
            if path not in QUIET_PATHS:
                duration_ms = round(elapsed * 1000, 2)
                fields = {"route": route, "status": status, "duration_ms": duration_ms}
                if status >= 500:
                    access_log.warning("http", **fields)
                else:
                    access_log.info("http", **fields)
            span.finish({"http.route": route, "http.response.status_code": status}, status >= 500)
            reset_scope(scope_token)
