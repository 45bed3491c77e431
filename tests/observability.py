"""Test helpers to read what the platform reports: its JSON log lines, its Prometheus
metrics and its spans (an in-memory exporter)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from services.kernel.logs import access_log, configure_logging


class LogLines:
    def __init__(self, buffer: io.StringIO) -> None:
        self.buffer = buffer

    def records(self) -> list[dict[str, Any]]:
        """Every line written so far, parsed (each must be one JSON object)."""
        return [json.loads(line) for line in self.buffer.getvalue().splitlines() if line]

    def with_request_id(self, request_id: str) -> list[dict[str, Any]]:
        return [r for r in self.records() if r.get("request_id") == request_id]


@contextmanager
def preserved_logging() -> Iterator[None]:
    """Whatever the block configures, the process logs as before once it ends."""
    root = logging.getLogger()
    handlers, level, access = list(root.handlers), root.level, access_log.logger
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        access_log.logger = access


@contextmanager
def captured_logs() -> Iterator[LogLines]:
    """The process's log lines, as the JSON a non-terminal gets, while the block runs."""
    buffer = io.StringIO()
    with preserved_logging():
        configure_logging(stream=buffer, json=True)
        yield LogLines(buffer)


_exporter: InMemorySpanExporter | None = None


def span_exporter() -> InMemorySpanExporter:
    """An SDK tracer provider recording into memory, installed once per test process."""
    global _exporter
    if _exporter is None:
        _exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
        trace.set_tracer_provider(provider)
    _exporter.clear()
    return _exporter


def spans_named(exporter: InMemorySpanExporter, fragment: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if fragment in s.name]


def metric_value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples `name` whose labels include `labels` in a /metrics page."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total
