"""Event boundaries: one event per line, or multi-line events with a recognisable first line."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .formats import CsvLayout, LogFormat, classify_event, parse_json_object, parse_xml_element
from .regex_text import regex_literal, shape_of
from .timestamps import LAYOUT_BY_NAME, TimestampHit, dominant_layout, find_timestamps

SINGLE_LINE_BREAKER = "([\\r\\n]+)"
START_WINDOW = 64  # a timestamp this close to the start of a line begins an event
MIXED_LAYOUT_SHARE = 0.95
_SINGLE_LINE_FORMATS = (
    LogFormat.JSON,
    LogFormat.APACHE_ACCESS,
    LogFormat.APACHE_ERROR,
    LogFormat.CISCO_ASA,
    LogFormat.SYSLOG,
)
_XML_START = re.compile(r"^<([A-Za-z_][\w:.-]*)[\s>/]")
_NEWLINES = re.compile(r"\r\n?|\n")


@dataclass(frozen=True)
class EventBreaking:
    """How the sample is cut into events, as Splunk settings and as a Python regex."""

    multiline: bool
    line_breaker: str
    start_regex: str | None  # Python regex matching the first line of an event
    reason: str


SINGLE_LINE = EventBreaking(False, SINGLE_LINE_BREAKER, None, "one event per line")


def _layout_lookahead(layout_name: str) -> str:
    core = LAYOUT_BY_NAME[layout_name].core
    return core.replace("{frac}", r"(?:[.,]\d+)?")


def _multiline(start: str, reason: str) -> EventBreaking:
    return EventBreaking(True, f"{SINGLE_LINE_BREAKER}(?={start})", f"^(?:{start})", reason)


def _group(lines: Sequence[str], start: re.Pattern[str]) -> list[list[str]]:
    events: list[list[str]] = []
    for line in lines:
        if start.match(line) or not events:
            events.append([line])
        else:
            events[-1].append(line)
    return events


def _xml_breaking(lines: Sequence[str]) -> EventBreaking | None:
    tags = Counter(
        m.group(1) for line in lines if (m := _XML_START.match(line)) and not line.startswith("</")
    )
    if not tags or sum(tags.values()) < 2:
        return None
    tag, _ = sorted(tags.items(), key=lambda item: (-item[1], item[0]))[0]
    start_text = f"<{regex_literal(tag)}[\\s>/]"
    start = re.compile(start_text)
    groups = _group(lines, start)
    parsed = sum(1 for group in groups if parse_xml_element("\n".join(group)) is not None)
    if parsed / len(groups) < 0.9:
        return None
    if all(len(group) == 1 for group in groups):
        return SINGLE_LINE
    return _multiline(start_text, f"multi-line XML events, each starting with <{tag}>")


def _pretty_json_breaking(lines: Sequence[str]) -> EventBreaking | None:
    if not lines or not lines[0].startswith("{"):
        return None
    start = re.compile(r"\{")
    groups = _group(lines, start)
    multi = sum(1 for group in groups if len(group) > 1)
    if multi / len(groups) < 0.5:
        return None
    parsed = sum(1 for group in groups if parse_json_object("\n".join(group)) is not None)
    if parsed / len(groups) < 0.9:
        return None
    return _multiline(r"\{", "multi-line JSON objects, each starting with { at column 0")


@dataclass(frozen=True)
class LineTimestamps:
    layout: str | None
    hits: tuple[TimestampHit | None, ...]  # the dominant layout's hit on each line
    # Lines with a timestamp of any layout near their start: such a line starts an event
    # even when its layout is not the dominant one (a file mixing two daemons' formats).
    dated: int = 0


def line_timestamps(lines: Sequence[str]) -> LineTimestamps:
    all_hits = [find_timestamps(line) for line in lines]
    dated = sum(1 for hits in all_hits if any(hit.start <= START_WINDOW for hit in hits))
    dominant = dominant_layout(all_hits)
    if dominant is None:
        return LineTimestamps(None, tuple(None for _ in lines), dated)
    layout, _ = dominant
    chosen = tuple(next((h for h in hits if h.layout == layout), None) for hits in all_hits)
    return LineTimestamps(layout, chosen, dated)


def detect_breaking(
    lines: Sequence[str], csv_layout: CsvLayout | None, stamps: LineTimestamps
) -> EventBreaking:
    """Decide how events are broken from the non-empty lines of the sample's head."""
    if not lines or csv_layout is not None:
        return SINGLE_LINE
    json_lines = sum(1 for line in lines if parse_json_object(line) is not None)
    if json_lines / len(lines) >= 0.9:
        return SINGLE_LINE
    if lines[0].lstrip().startswith("<"):
        xml = _xml_breaking(lines)
        if xml is not None:
            return xml
    pretty = _pretty_json_breaking(lines)
    if pretty is not None:
        return pretty
    if stamps.layout is None:
        return SINGLE_LINE
    near_start = [hit is not None and hit.start <= START_WINDOW for hit in stamps.hits]
    with_time = sum(near_start)
    if with_time == 0 or max(with_time, stamps.dated) / len(lines) >= 0.99:
        return SINGLE_LINE
    if stamps.dated > with_time and stamps.dated / len(lines) >= MIXED_LAYOUT_SHARE:
        # Nearly every line opens with a timestamp, in more than one layout: one event per
        # line (the few undated lines are events without a time, not continuations).
        return SINGLE_LINE
    line_formats = Counter(classify_event(line) for line in lines)
    single_line_formats = sum(line_formats[f] for f in _SINGLE_LINE_FORMATS)
    if single_line_formats / len(lines) >= 0.9:
        return SINGLE_LINE
    shapes = Counter(
        shape_of(line[: hit.start])
        for line, hit in zip(lines, stamps.hits, strict=True)
        if hit is not None and hit.start <= 64
    )
    shape, _ = sorted(shapes.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0]
    start_text = shape + _layout_lookahead(stamps.layout)
    start = re.compile(start_text)
    starts = sum(1 for line in lines if start.match(line))
    if starts / with_time < 0.95:
        # The lines with a timestamp do not share one header shape: not a log we understand
        # as multi-line.
        return SINGLE_LINE
    if not start.match(lines[0]) and starts / len(lines) < 0.5:
        return SINGLE_LINE
    return _multiline(
        start_text,
        f"multi-line events: {len(lines) - starts} of {len(lines)} lines continue the event "
        "before them; events start with a timestamp",
    )


def text_lines(segment: str) -> list[str]:
    """Lines as Splunk's [\\r\\n] line breaking sees them (no other separators)."""
    return _NEWLINES.split(segment)


def split_events(segments: Sequence[str], breaking: EventBreaking) -> list[str]:
    """Cut the decoded segments into events the way the LINE_BREAKER would."""
    events: list[str] = []
    start = re.compile(breaking.start_regex) if breaking.start_regex else None
    for index, segment in enumerate(segments):
        lines = text_lines(segment)
        if start is None:
            events.extend(line for line in lines if line.strip())
            continue
        current: list[str] = []
        seen_start = index == 0
        for line in lines:
            if start.match(line):
                if current and any(piece.strip() for piece in current):
                    events.append("\n".join(current).rstrip())
                current = [line]
                seen_start = True
            elif seen_start and (current or line.strip()):
                current.append(line)
        if current and any(piece.strip() for piece in current):
            events.append("\n".join(current).rstrip())
    return events
