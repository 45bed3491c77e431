"""Index-time event breaking, as Splunk's parsing pipeline does it.

The sample is decoded with CHARSET and cut with LINE_BREAKER: the text matched by the
regex's first capturing group is removed, what precedes it ends an event, what follows
starts the next. With SHOULD_LINEMERGE = true the resulting lines are then merged into
events by BREAK_ONLY_BEFORE / BREAK_ONLY_BEFORE_DATE / MUST_BREAK_AFTER and friends, up
to MAX_EVENTS lines. TRUNCATE cuts lines longer than that many bytes.

The input is streamed in chunks, so memory stays bounded whatever the sample's size.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .pipeline import BreakingConfig

CHUNK_SIZE = 1 << 20
# Matches this close to the end of the buffered text wait for more data, so a break
# spanning two chunks is seen whole.
MARGIN = 16 << 10


@dataclass(frozen=True)
class RawEvent:
    text: str
    truncated: bool
    lines: int


def _truncate(text: str, limit: int) -> tuple[str, bool]:
    if limit <= 0 or len(text) <= limit // 4:
        return text, False
    encoded = text.encode("utf-8", errors="replace")
    if len(encoded) <= limit:
        return text, False
    return encoded[:limit].decode("utf-8", errors="ignore"), True


def iter_lines(stream: BinaryIO, config: BreakingConfig) -> Iterator[tuple[str, bool]]:
    """The pieces LINE_BREAKER cuts the stream into, each with a 'was truncated' flag."""
    decoder = codecs.getincrementaldecoder(config.charset)(errors="replace")
    breaker = config.line_breaker
    max_pending = max(config.truncate * 4, 4 << 20) if config.truncate else 64 << 20
    buffer = ""
    first = True
    while True:
        chunk = stream.read(CHUNK_SIZE)
        final = not chunk
        buffer += decoder.decode(chunk, final=final)
        if first and buffer:
            buffer = buffer.removeprefix("\ufeff")
            first = False
        limit = len(buffer) if final else len(buffer) - MARGIN
        position = 0
        for match in breaker.finditer(buffer):
            if not final and match.end() > limit:
                break
            start, end = match.span(1)
            if start < 0 or start < position or (start == end == position):
                continue
            yield _truncate(buffer[position:start], config.truncate)
            position = end
        if final:
            yield _truncate(buffer[position:], config.truncate)
            return
        if limit - position > max_pending:
            # No break in a very long stretch: Splunk would truncate; keep memory bounded.
            yield _truncate(buffer[position : position + max_pending], config.truncate)
            position += max_pending
        buffer = buffer[position:]


def iter_events(
    stream: BinaryIO, config: BreakingConfig, has_date: Callable[[str], bool]
) -> Iterator[RawEvent]:
    """Events as Splunk would index them (whitespace-only events are dropped)."""
    lines = iter_lines(stream, config)
    if not config.should_linemerge:
        for text, truncated in lines:
            if text.strip():
                yield RawEvent(text, truncated, text.count("\n") + 1)
        return
    current: list[str] = []
    truncated_any = False
    for line, truncated in lines:
        if current and _breaks(config, current, line, has_date):
            event = "\n".join(current)
            if event.strip():
                yield RawEvent(event, truncated_any, len(current))
            current, truncated_any = [], False
        current.append(line)
        truncated_any = truncated_any or truncated
    if current and "\n".join(current).strip():
        yield RawEvent("\n".join(current), truncated_any, len(current))


def _breaks(
    config: BreakingConfig, current: list[str], line: str, has_date: Callable[[str], bool]
) -> bool:
    previous = current[-1]
    if config.must_break_after is not None and config.must_break_after.search(previous):
        return True
    if len(current) >= config.max_events:
        return True
    if config.break_only_before is not None:
        brk = config.break_only_before.search(line) is not None
    elif config.break_only_before_date:
        brk = has_date(line)
    else:
        brk = False
    if (
        brk
        and config.must_not_break_before is not None
        and config.must_not_break_before.search(line)
    ):
        brk = False
    if (
        brk
        and config.must_not_break_after is not None
        and config.must_not_break_after.search(previous)
    ):
        brk = False
    return brk
