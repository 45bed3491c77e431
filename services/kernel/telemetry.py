"""The observing server interceptor, composed in front of the call interceptor: one access
log line, RPC counters and a latency histogram, and a server span (parented by the caller's
W3C traceparent) for every call a service serves. Health and reflection calls are left out."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from services.kernel.call_context import CallContext, close_slot, open_slot
from services.kernel.handlers import WrappingInterceptor, replace_behavior
from services.kernel.interceptor import CORRELATION_HEADER
from services.kernel.logs import LogScope, access_log, reset_scope, set_scope
from services.kernel.metrics import RPC_LATENCY, RPC_REQUESTS
from services.kernel.tracing import ServerSpan

_CODES_BY_VALUE = {code.value[0]: code for code in grpc.StatusCode}
_SERVER_ERRORS = frozenset({"UNKNOWN", "INTERNAL", "DATA_LOSS", "UNAVAILABLE"})


def status_name(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    """The name of the status the call ends with (OK when none was set)."""
    code: Any = context.code()
    if code is None:
        return "OK"
    if isinstance(code, grpc.StatusCode):
        return code.name
    found = _CODES_BY_VALUE.get(int(code))
    return found.name if found else "UNKNOWN"


class _MethodTelemetry:
    """Metric children and span name of one method, made once."""

    def __init__(self, service: str, method: str) -> None:
        self.service = service
        self.method = method.lstrip("/")
        self.scope = LogScope(service, self.method)
        self.span_attributes = {"rpc.system": "grpc", "rpc.method": self.method}
        self.latency = RPC_LATENCY.labels(service, self.method)
        self._counters: dict[str, Any] = {}

    def count(self, code: str) -> None:
        counter = self._counters.get(code)
        if counter is None:
            counter = self._counters[code] = RPC_REQUESTS.labels(self.service, self.method, code)
        counter.inc()


class _Call:
    """The bookkeeping of one call, from arrival to its status."""

    __slots__ = (
        "_scope_token",
        "_slot",
        "_slot_token",
        "_span",
        "_started",
        "context",
        "telemetry",
    )

    def __init__(
        self, telemetry: _MethodTelemetry, context: grpc.aio.ServicerContext[Any, Any]
    ) -> None:
        self.telemetry = telemetry
        self.context = context
        self._started = time.perf_counter()
        self._slot, self._slot_token = open_slot()
        self._scope_token = set_scope(telemetry.scope)
        metadata = context.invocation_metadata() or ()
        carrier = dict(metadata) if any(k == "traceparent" for k, _ in metadata) else None
        self._span = ServerSpan(telemetry.method, carrier, telemetry.span_attributes)

    def finish(self, code: str, error: BaseException | None = None) -> None:
        elapsed = time.perf_counter() - self._started
        telemetry = self.telemetry
        telemetry.count(code)
        telemetry.latency.observe(elapsed)
        if self._slot.call is None:
            self._slot.call = _unauthenticated_call(self.context)
        server_error = code in _SERVER_ERRORS
        fields: dict[str, Any] = {"code": code, "duration_ms": round(elapsed * 1000, 2)}
        if server_error:
            access_log.warning("rpc", **fields)
        else:
            access_log.info("rpc", **fields)
        self._span.finish(
            {"rpc.grpc.status_code": code}, code != "OK", error if server_error else None
        )
        reset_scope(self._scope_token)
        close_slot(self._slot_token)


def _unauthenticated_call(context: grpc.aio.ServicerContext[Any, Any]) -> CallContext | None:
    """The correlation id a refused call carried, for its access line."""
    for key, value in context.invocation_metadata() or ():
        if key == CORRELATION_HEADER:
            try:
                return CallContext(correlation_id=uuid.UUID(str(value)))
            except ValueError:
                return None
    return None


def _ended(context: grpc.aio.ServicerContext[Any, Any], exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError):
        return "CANCELLED"
    name = status_name(context)
    return "UNKNOWN" if name == "OK" else name


class TelemetryInterceptor(WrappingInterceptor):
    """Access log, metrics and tracing of every call of one service."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        return _observe(handler, _MethodTelemetry(self.service, method))


def _observe(handler: grpc.RpcMethodHandler, telemetry: _MethodTelemetry) -> grpc.RpcMethodHandler:
    def unary(behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def run(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            call = _Call(telemetry, context)
            try:
                reply = await behavior(request, context)
            except BaseException as exc:
                call.finish(_ended(context, exc), exc)
                raise
            call.finish(status_name(context))
            return reply

        return run

    def streaming(behavior: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        async def run(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            call = _Call(telemetry, context)
            try:
                async for item in behavior(request, context):
                    yield item
            except BaseException as exc:
                call.finish(_ended(context, exc), exc)
                raise
            call.finish(status_name(context))

        return run

    return replace_behavior(handler, unary, streaming)
