"""Where the timestamp sits in an event: TIME_PREFIX and MAX_TIMESTAMP_LOOKAHEAD.

Splunk searches TIME_PREFIX (a regex) in the event and parses TIME_FORMAT right after its
first match, within MAX_TIMESTAMP_LOOKAHEAD characters. Candidates are tried from the most
specific (the key or column holding the time) to the most generic (a short anchor), and a
candidate is kept only if, on the analysed events, its first match ends exactly where the
timestamp begins.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .formats import CsvLayout, LogFormat
from .regex_text import regex_literal, shape_of
from .timestamps import (
    LAYOUT_BY_NAME,
    TimeSettings,
    TimestampHit,
    automatic_settings,
    derive_time_settings,
    dominant_layout,
    find_timestamps,
    full_timestamp,
)

_TIME_KEYS = (
    "@timestamp",
    "timestamp",
    "time",
    "ts",
    "datetime",
    "date_time",
    "eventtime",
    "event_time",
    "_time",
    "date",
    "created",
    "created_at",
    "logged_at",
    "log_time",
    "when",
)
_MAX_ANCHOR = 32
MIXED_LAYOUT_SHARE = 0.95
_LEADING = 8  # characters ("<38>1 ", "[") a leading timestamp may follow
_DELIM_REGEX = {",": ",", "\t": "\\t", ";": ";", "|": "\\|"}
TARGET_COVERAGE = 0.99
_WORD = re.compile(r"[\w@:-]")


@dataclass(frozen=True)
class TimestampPlacement:
    prefix: str
    description: str
    coverage: float
    lookahead: int
    settings: TimeSettings


def _lands_on_timestamp(prefix: re.Pattern[str], layout: re.Pattern[str], event: str) -> bool:
    found = prefix.search(event)
    if found is None:
        return False
    match = layout.match(event, found.end())
    return match is not None and match.start("ts") == found.end()


def _coverage(prefix: str, layout: str, events: Sequence[str]) -> float:
    if not events:
        return 0.0
    try:
        compiled = re.compile(prefix)
    except re.error:
        return 0.0
    pattern = LAYOUT_BY_NAME[layout].pattern()
    ok = sum(1 for event in events if _lands_on_timestamp(compiled, pattern, event))
    return ok / len(events)


def _placement(
    prefix: str,
    description: str,
    hits: Sequence[TimestampHit],
    events: Sequence[str],
    default_timezone: str | None,
) -> TimestampPlacement:
    settings = derive_time_settings(hits, default_timezone=default_timezone)
    return TimestampPlacement(
        prefix=prefix,
        description=description,
        coverage=_coverage(prefix, settings.layout, events),
        lookahead=settings.max_length + 2,
        settings=settings,
    )


def _key_rank(key: str) -> int:
    leaf = key.rsplit(".", 1)[-1].lower()
    return _TIME_KEYS.index(leaf) if leaf in _TIME_KEYS else len(_TIME_KEYS)


def _keyed_prefix(fmt: LogFormat, key: str, csv_layout: CsvLayout | None) -> str:
    if fmt is LogFormat.CSV and csv_layout is not None:
        column = csv_layout.columns.index(key)
        delim = _DELIM_REGEX[csv_layout.delimiter]
        if column == 0:
            return '^"?'
        other = f'[^{delim}"]*'
        return f'^(?:(?:"[^"]*"|{other}){delim}){{{column}}}"?'
    if fmt is LogFormat.JSON:
        leaf = key.rsplit(".", 1)[-1].replace("{}", "")
        return f'"{regex_literal(leaf)}"\\s*:\\s*"?'
    return f'(?<![\\w.-]){regex_literal(key)}="?'


def place_keyed(
    fmt: LogFormat,
    events: Sequence[str],
    pairs: Sequence[Sequence[tuple[str, str]]],
    csv_layout: CsvLayout | None,
    default_timezone: str | None,
) -> TimestampPlacement | None:
    """Find the key (JSON, key=value) or column (CSV) that holds the event time."""
    per_key: dict[str, list[TimestampHit]] = {}
    order: dict[str, int] = {}
    for event_pairs in pairs:
        for key, value in event_pairs:
            if len(value) > 64:
                continue
            hit = full_timestamp(value)
            if hit is not None:
                per_key.setdefault(key, []).append(hit)
                order.setdefault(key, len(order))
    if not per_key:
        return None
    key = min(per_key, key=lambda k: (-len(per_key[k]), _key_rank(k), order[k]))
    layout_counts = Counter(hit.layout for hit in per_key[key])
    layout = sorted(layout_counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
    hits = [hit for hit in per_key[key] if hit.layout == layout]
    prefix = _keyed_prefix(fmt, key, csv_layout)
    where = "column" if fmt is LogFormat.CSV else "key"
    return _placement(prefix, f"value of the {where} {key!r}", hits, events, default_timezone)


def place_generic(events: Sequence[str], default_timezone: str | None) -> TimestampPlacement | None:
    """Find the timestamp by its layout anywhere near the start of the event."""
    all_hits = [find_timestamps(event) for event in events]
    dominant = dominant_layout(all_hits)
    if dominant is None:
        return None
    layout, _ = dominant
    pairs = [
        (event, hit)
        for event, hits in zip(events, all_hits, strict=True)
        for hit in hits
        if hit.layout == layout
    ]
    hits = [hit for _, hit in pairs]
    prefixes = [event[: hit.start] for event, hit in pairs]
    start: TimestampPlacement | None = None
    if sum(1 for p in prefixes if p == "") / len(prefixes) >= TARGET_COVERAGE:
        start = _placement("^", "at the start of the event", hits, events, default_timezone)
        if start.coverage >= TARGET_COVERAGE:
            return start
    # The shortest anchor generalises best: it names the structure around the timestamp
    # (``[`` of an access log, ``audit(`` of an audit record) rather than one sample's values
    # (``^\d+\.\d+\.\d+\.\d+\s-\s-\s\[`` fails on IPv6 clients and logged-in users).
    best = _anchor(prefixes, hits, events, default_timezone)
    if best is not None and best.coverage >= TARGET_COVERAGE:
        return best
    if best is None or (start is not None and start.coverage >= best.coverage):
        best = start
    candidates: list[tuple[str, str]] = []
    shapes = Counter(shape_of(p) for p in prefixes if "\n" not in p and len(p) <= 64)
    if shapes:
        shape = shapes.most_common(1)[0][0]
        if shape:
            candidates.append(("^" + shape, "after a fixed-shape event header"))
    literal = Counter(prefixes).most_common(1)[0][0]
    if literal and "\n" not in literal and len(literal) <= 64:
        candidates.append(("^" + regex_literal(literal), f"after the fixed text {literal!r}"))
    for prefix, description in candidates:
        placement = _placement(prefix, description, hits, events, default_timezone)
        if placement.coverage >= TARGET_COVERAGE:
            return placement
        if best is None or placement.coverage > best.coverage:
            best = placement
    automatic = _automatic(events, all_hits, default_timezone)
    if automatic is not None and (best is None or automatic.coverage > best.coverage):
        return automatic
    return best


def _automatic(
    events: Sequence[str],
    all_hits: Sequence[Sequence[TimestampHit]],
    default_timezone: str | None,
) -> TimestampPlacement | None:
    """Events that all open with a timestamp, in layouts that differ between events (one
    file written by two versions of a daemon): Splunk's own recognition reads each."""
    leading = [
        min(hits, key=lambda hit: hit.start)
        for hits in all_hits
        if hits and min(hit.start for hit in hits) <= _LEADING
    ]
    if len(leading) / max(1, len(events)) < MIXED_LAYOUT_SHARE:
        return None
    if len({hit.layout for hit in leading}) < 2:
        return None
    settings = automatic_settings(leading, default_timezone=default_timezone)
    return TimestampPlacement(
        prefix="",
        description="the first timestamp near the start of the event, in any layout",
        coverage=len(leading) / len(events),
        lookahead=settings.max_length + 2,
        settings=settings,
    )


def _anchor(
    prefixes: Sequence[str],
    hits: Sequence[TimestampHit],
    events: Sequence[str],
    default_timezone: str | None,
) -> TimestampPlacement | None:
    """The shortest text just before the timestamp whose first occurrence precedes it.

    Once found, the anchor is widened to the start of its word (``SystemTime="`` rather
    than ``ime="``) as long as that keeps the coverage.
    """
    best: TimestampPlacement | None = None
    for length in range(1, _MAX_ANCHOR + 1):
        tails = Counter(
            p[-length:] for p in prefixes if len(p) >= length and "\n" not in p[-length:]
        )
        if not tails:
            break
        tail = tails.most_common(1)[0][0]
        placement = _placement(
            regex_literal(tail),
            f"after the first {tail!r} in the event",
            hits,
            events,
            default_timezone,
        )
        if best is None or placement.coverage > best.coverage:
            best = placement
        if placement.coverage < TARGET_COVERAGE:
            continue
        wider = tail
        while True:
            longer = Counter(
                p[-(len(wider) + 1) :] for p in prefixes if len(p) > len(wider)
            ).most_common(1)
            if not longer or not _WORD.match(longer[0][0][0]):
                break
            candidate = _placement(
                regex_literal(longer[0][0]),
                f"after the first {longer[0][0]!r} in the event",
                hits,
                events,
                default_timezone,
            )
            if candidate.coverage < placement.coverage:
                break
            wider, placement = longer[0][0], candidate
        return placement
    return best
