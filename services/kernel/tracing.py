"""OpenTelemetry tracing: W3C `traceparent` carried in gRPC metadata from the gateway to the
services, from service to service, and from each outbox relay to the audit service.

Spans are exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard
OTEL_* variables configure the exporter); otherwise the API's no-op tracer runs, which still
forwards an incoming traceparent so a caller's trace is not cut."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import (
    Link,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    Tracer,
    set_span_in_context,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)

TRACER_NAME = "tagen"
_configured = False


def configure_tracing(service_name: str) -> bool:
    """Install an SDK tracer provider with an OTLP exporter when an endpoint is configured;
    returns whether spans are exported. Call once per process."""
    global _configured
    if _configured or not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return _configured
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True
    log.info("tracing: exporting spans over OTLP as %s", name)
    return True


_TRACER = trace.get_tracer(TRACER_NAME)  # follows the provider installed later, if any


def tracer() -> Tracer:
    return _TRACER


def tracing_active() -> bool:
    """Whether a tracer provider records spans (the OTLP exporter, or a test's)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


class ServerSpan:
    """The span of one served request, current while it is served: a child of the caller's
    traceparent when it sent one. Without a recording provider and without a caller's trace
    nothing is created (the hot path pays nothing for tracing that is off)."""

    __slots__ = ("_token", "span")

    def __init__(
        self, name: str, carrier: Mapping[str, Any] | None, attributes: dict[str, Any]
    ) -> None:
        parent = extract(carrier) if carrier else None
        self.span: Span | None = None
        self._token: object = None
        if parent is None and not tracing_active():
            return
        self.span = _TRACER.start_span(
            name, context=parent, kind=SpanKind.SERVER, attributes=attributes
        )
        self._token = otel_context.attach(set_span_in_context(self.span, parent))

    def finish(
        self, attributes: dict[str, Any], failed: bool, error: BaseException | None = None
    ) -> None:
        span = self.span
        if span is None:
            return
        span.set_attributes(attributes)
        if failed:
            span.set_status(Status(StatusCode.ERROR))
            if error is not None:
                span.record_exception(error)
        span.end()
        otel_context.detach(self._token)  # type: ignore[arg-type]


class _MetadataGetter:
    """Reads W3C headers from gRPC invocation metadata (a sequence of key/value pairs)."""

    def get(self, carrier: Mapping[str, Any], key: str) -> list[str] | None:
        value = carrier.get(key)
        return None if value is None else [str(value)]

    def keys(self, carrier: Mapping[str, Any]) -> list[str]:
        return list(carrier)


_GETTER = _MetadataGetter()


def extract(metadata: Mapping[str, Any]) -> otel_context.Context:
    """The remote parent a caller sent (traceparent / tracestate), if any."""
    if "traceparent" not in metadata:
        return otel_context.Context()
    return propagate.extract(metadata, getter=_GETTER)  # type: ignore[arg-type]


def inject(pairs: Iterable[tuple[str, str]] = ()) -> tuple[tuple[str, str], ...]:
    """`pairs` plus the traceparent of the current span (when one is active)."""
    carrier: dict[str, str] = {}
    if trace.get_current_span().get_span_context().is_valid:
        propagate.inject(carrier)
    return (*pairs, *carrier.items())


_TRACE_CONTEXT = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, or None when no span is active (tracing off
    and no caller's trace): what an outbox row keeps to link its delivery to its change."""
    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _TRACE_CONTEXT.inject(carrier)
    return carrier.get("traceparent")


def links_to(traceparents: Iterable[str | None]) -> list[Link]:
    """One span Link per distinct valid traceparent (None and malformed values are skipped),
    in first-seen order. Parses nothing while no tracer provider records spans."""
    if not tracing_active():
        return []
    links: list[Link] = []
    seen: set[str] = set()
    for value in traceparents:
        if not value or value in seen:
            continue
        seen.add(value)
        context = _span_context_of(value)
        if context is not None:
            links.append(Link(context))
    return links


def _span_context_of(traceparent: str) -> SpanContext | None:
    context = trace.get_current_span(_TRACE_CONTEXT.extract({"traceparent": traceparent}))
    span_context = context.get_span_context()
    return span_context if span_context.is_valid else None


__all__ = [
    "ServerSpan",
    "SpanKind",
    "configure_tracing",
    "current_traceparent",
    "extract",
    "inject",
    "links_to",
    "tracer",
    "tracing_active",
]
