"""Timestamp recognition for the generator.

A catalogue of timestamp layouts, each with a regular expression (valid both in Python and
in Splunk's PCRE), the Splunk ``strptime`` format it corresponds to, and the Python format
used to check that a match is a real date. Optional fractional seconds and a time-zone
suffix are captured by named groups so the Splunk format can be completed from the data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

SEARCH_LIMIT = 2048

_TZ_ABBREVIATIONS = (
    "UTC|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|CET|CEST|EET|EEST|WET|WEST|BST|IST|JST|KST|"
    "AEST|AEDT|NZST|NZDT|HKT|SGT|MSK"
)
_FRAC = r"(?P<frac>[.,]\d{1,9})?"
_ZONE = rf"(?P<zone>Z|\s?[+-]\d{{2}}:\d{{2}}|\s?[+-]\d{{4}}|\s(?:{_TZ_ABBREVIATIONS})\b)?"


@dataclass(frozen=True)
class TimestampLayout:
    name: str
    core: str  # regex of the date/time, may contain {frac}
    splunk: str  # Splunk TIME_FORMAT, may contain {frac}
    python: str  # datetime.strptime format of the core without fraction and zone
    zone: bool = True  # whether a time-zone suffix may follow
    keyed_only: bool = False  # only recognised as the value of a time-like key
    needs_year: bool = False  # the layout has no year
    # What may not follow the timestamp: a digit, or a colon and a digit (a longer time).
    # A colon before a space is allowed ("Apr 15 2013 09:36:50: %ASA-4-106023: ...").
    tail: str = r"(?!\d|:\d)"

    def pattern(self) -> re.Pattern[str]:
        body = self.core.replace("{frac}", _FRAC)
        if "{frac}" not in self.core:
            body += _FRAC
        if self.zone:
            body += _ZONE
        return re.compile(rf"(?<![\w.:/-])(?P<ts>{body}){self.tail}")


_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"

# Numeric dates whose order (month or day first) the samples decide: layout -> separator.
_DAY_OR_MONTH_FIRST = {"slash_date": "/", "dash_date": "-"}

LAYOUTS: tuple[TimestampLayout, ...] = (
    TimestampLayout(
        "iso8601",
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ),
    TimestampLayout(
        "iso8601_space",
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ),
    TimestampLayout(
        "ymd_slash",
        r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M:%S",
    ),
    TimestampLayout(
        "ncsa",
        rf"\d{{2}}/{_MON}/\d{{4}}:\d{{2}}:\d{{2}}:\d{{2}}",
        "%d/%b/%Y:%H:%M:%S",
        "%d/%b/%Y:%H:%M:%S",
    ),
    TimestampLayout(
        "ctime",
        rf"{_DAY} {_MON} (?:[ \d]\d|\d) \d{{2}}:\d{{2}}:\d{{2}}{{frac}} \d{{4}}",
        "%a %b %d %H:%M:%S{frac} %Y",
        "%a %b %d %H:%M:%S %Y",
        zone=False,
    ),
    TimestampLayout(
        "rfc2822",
        rf"{_DAY}, \d{{1,2}} {_MON} \d{{4}} \d{{2}}:\d{{2}}:\d{{2}}",
        "%a, %d %b %Y %H:%M:%S",
        "%a, %d %b %Y %H:%M:%S",
    ),
    TimestampLayout(
        "mon_day_year",
        rf"{_MON} (?:[ \d]\d|\d) \d{{4}} \d{{2}}:\d{{2}}:\d{{2}}",
        "%b %d %Y %H:%M:%S",
        "%b %d %Y %H:%M:%S",
    ),
    TimestampLayout(
        "syslog",
        rf"{_MON} (?:[ \d]\d|\d) \d{{2}}:\d{{2}}:\d{{2}}",
        "%b %d %H:%M:%S",
        "%Y %b %d %H:%M:%S",
        needs_year=True,
    ),
    TimestampLayout(
        "mdy_ampm",
        r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %I:%M:%S %p",
    ),
    TimestampLayout(
        "mon_day_comma_ampm",
        rf"{_MON} \d{{1,2}}, \d{{4}} \d{{1,2}}:\d{{2}}:\d{{2}} [AP]M",
        "%b %d, %Y %I:%M:%S %p",
        "%b %d, %Y %I:%M:%S %p",
    ),
    TimestampLayout(
        "slash_date",
        r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M:%S",
    ),
    TimestampLayout(
        "dash_date",
        r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}",
        "%m-%d-%Y %H:%M:%S",
        "%m-%d-%Y %H:%M:%S",
    ),
    TimestampLayout(
        "day_mon_year",
        rf"\d{{2}}-{_MON}-\d{{4}} \d{{2}}:\d{{2}}:\d{{2}}",
        "%d-%b-%Y %H:%M:%S",
        "%d-%b-%Y %H:%M:%S",
    ),
    TimestampLayout(
        "dotted_date",
        r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M:%S",
    ),
    TimestampLayout(
        "day_mon_year_space",
        rf"\d{{2}}/{_MON}/\d{{4}} \d{{2}}:\d{{2}}:\d{{2}}",
        "%d/%b/%Y %H:%M:%S",
        "%d/%b/%Y %H:%M:%S",
    ),
    TimestampLayout(
        "compact_ymd_hms",
        r"\d{6} \d{6}",
        "%y%m%d %H%M%S",
        "%y%m%d %H%M%S",
        zone=False,
    ),
    TimestampLayout(
        "compact_ymd_time",
        r"\d{6} [ \d]\d:\d{2}:\d{2}",
        "%y%m%d %k:%M:%S",
        "%y%m%d %H:%M:%S",
    ),
    TimestampLayout(
        "month_dot_day",
        r"\d{2}\.\d{2} \d{2}:\d{2}:\d{2}",
        "%m.%d %H:%M:%S",
        "%Y %m.%d %H:%M:%S",
        zone=False,
        needs_year=True,
    ),
    TimestampLayout(
        "epoch_micros",
        r"1\d{15}",
        "%s%6N",
        "",
        zone=False,
        tail=r"(?![\d.])",
    ),
    TimestampLayout(
        "epoch_millis",
        r"1\d{12}",
        "%s%3N",
        "",
        zone=False,
        tail=r"(?![\d.])",
    ),
    TimestampLayout(
        "epoch",
        r"1\d{9}{frac}",
        "%s{frac}",
        "",
        zone=False,
        tail=r"(?!\d)",
    ),
)

_COMPILED: tuple[tuple[TimestampLayout, re.Pattern[str]], ...] = tuple(
    (layout, layout.pattern()) for layout in LAYOUTS
)
LAYOUT_BY_NAME = {layout.name: layout for layout in LAYOUTS}


@dataclass(frozen=True)
class TimestampHit:
    layout: str
    start: int
    end: int
    text: str
    frac: str | None
    zone: str | None


def _valid(layout: TimestampLayout, match: re.Match[str]) -> bool:
    if not layout.python:
        return True
    text = match.group("ts")
    for group in ("zone", "frac"):
        if group not in match.re.groupindex:
            continue
        span = match.span(group)
        if span[0] >= 0:
            offset = match.start("ts")
            text = text[: span[0] - offset] + text[span[1] - offset :]
    if layout.needs_year:
        text = "2000 " + text
    text = re.sub(r"\s+", " ", text)
    python = layout.python
    separator = _DAY_OR_MONTH_FIRST.get(layout.name)
    if separator is not None:
        # Either day or month first; accept both and let the detector decide.
        try:
            datetime.strptime(text, python)
            return True
        except ValueError:
            python = f"%d{separator}%m{separator}%Y %H:%M:%S"
    try:
        datetime.strptime(text, python)
    except ValueError:
        return False
    return True


def find_timestamps(text: str, *, keyed: bool = False) -> list[TimestampHit]:
    """The first valid match of every layout in the first ``SEARCH_LIMIT`` characters."""
    head = text[:SEARCH_LIMIT]
    hits: list[TimestampHit] = []
    for layout, pattern in _COMPILED:
        if layout.keyed_only and not keyed:
            continue
        for match in pattern.finditer(head):
            if _valid(layout, match):
                hits.append(
                    TimestampHit(
                        layout.name,
                        match.start("ts"),
                        match.end("ts"),
                        match.group("ts"),
                        match.groupdict().get("frac"),
                        match.groupdict().get("zone"),
                    )
                )
                break
    return _outermost(hits)


def _outermost(hits: list[TimestampHit]) -> list[TimestampHit]:
    """Drop a hit lying inside a longer one (the time of a ctime date is not a timestamp
    of its own)."""
    return [
        hit
        for hit in hits
        if not any(
            other is not hit
            and other.start <= hit.start
            and hit.end <= other.end
            and (other.end - other.start) > (hit.end - hit.start)
            for other in hits
        )
    ]


def full_timestamp(value: str) -> TimestampHit | None:
    """A hit when the whole of ``value`` is a timestamp (used for keyed fields)."""
    stripped = value.strip()
    for hit in find_timestamps(stripped, keyed=True):
        if hit.start == 0 and hit.end == len(stripped):
            return hit
    return None


@dataclass(frozen=True)
class TimeSettings:
    """The Splunk time settings derived from a set of timestamp hits."""

    layout: str
    time_format: str | None  # None: Splunk recognises each timestamp (datetime.xml)
    regex: str  # the layout's regex with the chosen fraction/zone, for LINE_BREAKER
    max_length: int
    timezone: str | None  # TZ to set (None when the timestamp carries its own offset)
    has_zone: bool
    notes: tuple[str, ...]


def _most_common(values: Iterable[str]) -> str | None:
    counter = Counter(values)
    if not counter:
        return None
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[0][0]


def _zone_format(zone: str) -> tuple[str, str]:
    """(Splunk format suffix, regex) for an observed zone suffix."""
    space = " " if zone[:1].isspace() else ""
    space_regex = r"\s" if space else ""
    bare = zone.strip()
    if bare == "Z":
        return "Z", "Z"
    if re.fullmatch(r"[+-]\d{2}:\d{2}", bare):
        return f"{space}%:z", space_regex + r"[+-]\d{2}:\d{2}"
    if re.fullmatch(r"[+-]\d{4}", bare):
        return f"{space}%z", space_regex + r"[+-]\d{4}"
    return " %Z", r"\s[A-Z]{3,4}"


def derive_time_settings(
    hits: Sequence[TimestampHit], *, default_timezone: str | None
) -> TimeSettings:
    """Choose TIME_FORMAT and TZ from the hits of one layout."""
    layout = LAYOUT_BY_NAME[hits[0].layout]
    notes: list[str] = []
    frac_forms = Counter((hit.frac[0], len(hit.frac) - 1) if hit.frac else ("", 0) for hit in hits)
    (sep, digits), _ = sorted(frac_forms.items(), key=lambda item: (-item[1], item[0]))[0]
    frac_format = f"{sep}%{digits}N" if digits else ""
    frac_regex = rf"[{re.escape(sep)}]\d{{{digits}}}" if digits else ""
    if len(frac_forms) > 1:
        notes.append(
            "fractional seconds vary between events; using "
            + (f"{digits} digits" if digits else "none")
        )
    splunk = layout.splunk.replace("{frac}", frac_format)
    core_regex = layout.core.replace("{frac}", frac_regex)
    if "{frac}" not in layout.splunk:
        splunk += frac_format
        core_regex += frac_regex
    zone = _most_common(hit.zone for hit in hits if hit.zone)
    zone_share = sum(1 for hit in hits if hit.zone) / len(hits)
    timezone: str | None
    has_zone = False
    if zone is not None and zone_share >= 0.5:
        zone_format, zone_regex = _zone_format(zone)
        splunk += zone_format
        core_regex += zone_regex
        has_zone = zone_format != "Z"
        timezone = "UTC" if zone_format == "Z" else None
    else:
        timezone = default_timezone or "UTC"
        if default_timezone is None:
            notes.append("the timestamps carry no time zone; TZ = UTC was assumed")
    separator = _DAY_OR_MONTH_FIRST.get(layout.name)
    if separator is not None:
        firsts = [int(hit.text[:2]) for hit in hits]
        seconds = [int(hit.text[3:5]) for hit in hits]
        if any(value > 12 for value in firsts) and all(value <= 12 for value in seconds):
            month_first = f"%m{separator}%d{separator}%Y"
            splunk = splunk.replace(month_first, f"%d{separator}%m{separator}%Y")
        elif not any(value > 12 for value in seconds):
            notes.append("day and month order is ambiguous in the samples; assumed month first")
    if layout.needs_year:
        notes.append("the timestamps have no year; Splunk infers it from the current date")
    if layout.name.startswith("epoch"):
        timezone = None
        has_zone = True
    max_length = max(len(hit.text) for hit in hits)
    return TimeSettings(
        layout=layout.name,
        time_format=splunk,
        regex=core_regex,
        max_length=max_length,
        timezone=timezone,
        has_zone=has_zone,
        notes=tuple(notes),
    )


AUTOMATIC = "automatic"


def automatic_settings(
    hits: Sequence[TimestampHit], *, default_timezone: str | None
) -> TimeSettings:
    """Settings for events whose timestamps come in several layouts: no TIME_FORMAT, so
    Splunk recognises each one with its datetime.xml rules."""
    layouts = sorted({hit.layout for hit in hits})
    zoned = sum(1 for hit in hits if hit.zone or hit.layout.startswith("epoch"))
    notes = [
        "the timestamps come in several layouts (" + ", ".join(layouts) + "); TIME_FORMAT is "
        "left to Splunk's automatic recognition"
    ]
    timezone = default_timezone or "UTC"
    if default_timezone is None and zoned < len(hits):
        notes.append("some timestamps carry no time zone; TZ = UTC was assumed")
    return TimeSettings(
        layout=AUTOMATIC,
        time_format=None,
        regex="",
        max_length=max(hit.end for hit in hits),
        timezone=timezone,
        has_zone=False,
        notes=tuple(notes),
    )


def hit_instant(hit: TimestampHit) -> datetime | None:
    """The wall-clock time a hit reads as (zone and fraction ignored), for ordering."""
    layout = LAYOUT_BY_NAME[hit.layout]
    text = hit.text
    if layout.name.startswith("epoch"):
        digits = text.split(".")[0]
        return datetime.fromtimestamp(int(digits[:10]), tz=UTC).replace(tzinfo=None)
    if hit.zone:
        text = text[: len(text) - len(hit.zone)]
    if hit.frac:
        text = text.replace(hit.frac, "", 1)
    if layout.needs_year:
        text = "2000 " + text
    try:
        return datetime.strptime(re.sub(r"\s+", " ", text), layout.python)
    except ValueError:
        return None


def monotonic_share(hits: Sequence[TimestampHit]) -> float:
    """Share of consecutive events whose time does not go backwards."""
    instants = [moment for hit in hits if (moment := hit_instant(hit)) is not None]
    if len(instants) < 2:
        return 1.0
    ordered = sum(1 for a, b in pairwise(instants) if b >= a)
    return ordered / (len(instants) - 1)


def dominant_layout(per_item_hits: Sequence[Sequence[TimestampHit]]) -> tuple[str, float] | None:
    """The layout found in the most items; among layouts found about as often, the one whose
    times run forward most often (an event's own time, not a date quoted in it), then the
    earlier position, then the longer text."""
    counts: Counter[str] = Counter()
    positions: dict[str, list[int]] = {}
    lengths: dict[str, list[int]] = {}
    by_layout: dict[str, list[TimestampHit]] = {}
    for hits in per_item_hits:
        for hit in hits:
            counts[hit.layout] += 1
            positions.setdefault(hit.layout, []).append(hit.start)
            lengths.setdefault(hit.layout, []).append(hit.end - hit.start)
            by_layout.setdefault(hit.layout, []).append(hit)
    if not counts:
        return None
    top = max(counts.values())
    contenders = [name for name in counts if counts[name] >= 0.99 * top]

    def rank(name: str) -> tuple[float, float, float]:
        pos = sorted(positions[name])[len(positions[name]) // 2]
        length = sum(lengths[name]) / len(lengths[name])
        forward = monotonic_share(by_layout[name]) if len(contenders) > 1 else 1.0
        return (-forward, pos, -length)

    best = min(contenders, key=rank)
    return best, counts[best] / max(1, len(per_item_hits))
