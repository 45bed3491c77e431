"""Structured logs: every line names the service, the RPC or HTTP route being served, the
correlation id (x-request-id), the calling user and the trace id; JSON lines when the output
is not a terminal (or LOG_FORMAT=json), a readable console format on a terminal.

Every `logging.getLogger(...)` call in the code base goes through the same structlog
pipeline, so a library's warning carries the same fields as our own lines."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TextIO

import orjson
import structlog
from opentelemetry import trace

from services.kernel.call_context import active_call


@dataclass(frozen=True, slots=True)
class LogScope:
    """What the running task works for: a service (context or "gateway") and its method."""

    service: str = ""
    method: str = ""


_NO_SCOPE = LogScope()
_scope: ContextVar[LogScope | None] = ContextVar("tagen_log_scope", default=None)


def set_scope(scope: LogScope) -> object:
    return _scope.set(scope)


def reset_scope(token: object) -> None:
    _scope.reset(token)  # type: ignore[arg-type]


@contextmanager
def log_scope(service: str, method: str = "") -> Iterator[None]:
    """Lines logged inside the block name `service` (and `method`)."""
    token = _scope.set(LogScope(service, method))
    try:
        yield
    finally:
        _scope.reset(token)


def add_call_fields(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: service, method, request_id, user_id and trace_id of the call
    being served when the line is written (fields already set win)."""
    scope = _scope.get() or _NO_SCOPE
    if scope.service:
        event.setdefault("service", scope.service)
    if scope.method:
        event.setdefault("method", scope.method)
    call = active_call()
    if call is not None:
        event.setdefault("request_id", str(call.correlation_id))
        if call.principal is not None:
            event.setdefault("user_id", call.principal.subject)
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        event.setdefault("trace_id", format(span.trace_id, "032x"))
    return event


def _wants_json(stream: TextIO) -> bool:
    chosen = os.environ.get("LOG_FORMAT", "").strip().lower()
    if chosen in ("json", "console"):
        return chosen == "json"
    isatty = getattr(stream, "isatty", None)
    return not (isatty and isatty())


#: Fields every line gets, whether it comes from structlog or from a stdlib logger.
_TIMESTAMP = structlog.processors.TimeStamper(fmt="iso", utc=True)
_FIELDS: list[Any] = [
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    _TIMESTAMP,
    add_call_fields,
]

# structlog loggers hand their event to the stdlib logger of the same name (so levels,
# handlers and the formatter below apply to them as to any library's logger). Configured once,
# at import: loggers are cached on first use, before or after configure_logging.
structlog.configure(
    processors=[
        structlog.stdlib.filter_by_level,
        *_FIELDS,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)


class AccessLog:
    """The access lines (one per RPC, one per HTTP request): written by structlog straight to
    the configured stream, without the stdlib logging machinery (a log record, a caller
    lookup, a second record in the formatter), because they are written on every call. Same
    fields and format as every other line; nothing is written before configure_logging."""

    NAME = "tagen.access"

    def __init__(self) -> None:
        self.logger: Any = None
        """The structlog logger lines go to (None: not configured, nothing is written)."""

    def configure(self, stream: TextIO, renderers: list[Any], level: int) -> None:
        def name(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
            event["logger"] = self.NAME
            return event

        self.logger = structlog.wrap_logger(
            structlog.WriteLogger(stream),
            processors=[
                structlog.processors.add_log_level,
                name,
                _TIMESTAMP,
                add_call_fields,
                *renderers,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(level),
        ).bind()

    def info(self, event: str, **fields: Any) -> None:
        if self.logger is not None:
            self.logger.info(event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        if self.logger is not None:
            self.logger.warning(event, **fields)


access_log = AccessLog()


def _dumps(event: Any, **kwargs: Any) -> str:
    """JSON of one line, by orjson (an access line is written on every call)."""
    return orjson.dumps(
        event, default=kwargs.get("default"), option=orjson.OPT_NON_STR_KEYS
    ).decode()


def configure_logging(
    *, level: int = logging.INFO, stream: TextIO | None = None, json: bool | None = None
) -> None:
    """Write every logger of the process onto `stream` (stderr): JSON lines, or the console
    format on a terminal."""
    out = stream or sys.stderr
    as_json = _wants_json(out) if json is None else json
    renderers: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(_dumps)]
        if as_json
        else [structlog.dev.ConsoleRenderer(colors=False)]
    )
    access_log.configure(out, renderers, level)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *_FIELDS],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
