"""Splunk's ``strptime`` for TIME_FORMAT, as a regex plus a date builder.

Supported directives are those of Splunk's documentation (date and time format variables,
including Splunk's extensions ``%N``/``%3N``/``%6N``/``%9N`` for subseconds, ``%s`` for epoch
seconds, ``%:z``/``%::z`` for offsets with colons and ``%k``/``%e`` for space-padded values).
Whitespace in the format matches any run of whitespace, as in C ``strptime``. The format
must match at the position where Splunk starts reading (right after TIME_PREFIX); text
after the timestamp is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from .errors import TimeFormatError

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_ZONE_ABBREVIATIONS: dict[str, int] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "UT": 0,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "CET": 60,
    "CEST": 120,
    "EET": 120,
    "EEST": 180,
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "IST": 330,
    "JST": 540,
    "KST": 540,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "HKT": 480,
    "SGT": 480,
    "MSK": 180,
}

_DIRECTIVES: dict[str, str] = {
    "Y": r"(?P<Y>\d{4})",
    "y": r"(?P<y>\d{2})",
    "C": r"(?P<C>\d{2})",
    "m": r"(?P<m>1[0-2]|0[1-9]|[1-9])",
    "d": r"(?P<d>3[01]|[12]\d|0[1-9]| ?[1-9])",
    "e": r"(?P<d>3[01]|[12]\d|0[1-9]| ?[1-9])",
    "H": r"(?P<H>2[0-3]|[01]\d|\d)",
    "k": r"(?P<H>2[0-3]|1\d| ?\d)",
    "I": r"(?P<I>1[0-2]|0[1-9]|[1-9])",
    "l": r"(?P<I>1[0-2]| ?[1-9])",
    "M": r"(?P<M>[0-5]\d)",
    "S": r"(?P<S>[0-5]\d|60)",
    "p": r"(?P<p>(?i:am|pm))",
    "b": r"(?P<b>(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))",
    "h": r"(?P<b>(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))",
    "B": r"(?P<B>(?i:january|february|march|april|may|june|july|august|september|october"
    r"|november|december))",
    "a": r"(?i:mon|tue|wed|thu|fri|sat|sun)",
    "A": r"(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    "w": r"[0-6]",
    "u": r"[1-7]",
    "U": r"\d{1,2}",
    "W": r"\d{1,2}",
    "V": r"\d{1,2}",
    "j": r"(?P<j>\d{3})",
    "z": r"(?P<z>[+-]\d{4}|Z)",
    ":z": r"(?P<z>[+-]\d{2}:\d{2}|Z)",
    "::z": r"(?P<z>[+-]\d{2}:\d{2}:\d{2}|Z)",
    ":::z": r"(?P<z>[+-]\d{2})",
    "Z": r"(?P<Z>[A-Za-z]{1,5})",
    "s": r"(?P<s>\d{1,10})",  # Splunk reads at most 10 digits: %s%3N parses epoch ms
    "N": r"(?P<N>\d{1,9})",
    "Q": r"(?P<N>\d{1,3})",
    "q": r"(?P<N>\d{1,6})",
    "%": "%",
    "n": r"\s*",
    "t": r"\s*",
}
_COMPOSITES: dict[str, str] = {
    "T": "%H:%M:%S",
    "F": "%Y-%m-%d",
    "D": "%m/%d/%y",
    "R": "%H:%M",
    "r": "%I:%M:%S %p",
    "c": "%a %b %d %H:%M:%S %Y",
    "+": "%a %b %d %H:%M:%S %Z %Y",
    "x": "%m/%d/%y",
    "X": "%H:%M:%S",
}
_DIRECTIVE = re.compile(r"%(?P<width>\d+)?(?P<name>:{1,3}z|[A-Za-z%+])")


def _expand(fmt: str) -> str:
    for _ in range(3):
        fmt = re.sub(r"%([TFDRrcx+X])", lambda m: _COMPOSITES[m.group(1)], fmt)
    return fmt


@dataclass(frozen=True)
class SplunkTimeFormat:
    """A compiled TIME_FORMAT."""

    source: str
    regex: re.Pattern[str]
    has_year: bool
    has_zone: bool

    def match(self, text: str) -> re.Match[str] | None:
        return self.regex.match(text)

    def parse(self, text: str, default_tz: tzinfo, reference: datetime) -> datetime | None:
        """The timestamp at the start of ``text``, or None if it does not match."""
        found = self.regex.match(text)
        if found is None:
            return None
        return _build(found.groupdict(), default_tz, reference)


def _subsecond(digits: str | None) -> int:
    if not digits:
        return 0
    return int(digits[:6].ljust(6, "0"))


def _zone(values: dict[str, str | None], default_tz: tzinfo) -> tzinfo:
    offset = values.get("z")
    if offset:
        if offset == "Z":
            return UTC
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        hours = int(digits[:2])
        minutes = int(digits[2:4] or 0)
        seconds = int(digits[4:6] or 0)
        return timezone(sign * timedelta(hours=hours, minutes=minutes, seconds=seconds))
    name = values.get("Z")
    if name and name.upper() in _ZONE_ABBREVIATIONS:
        return timezone(timedelta(minutes=_ZONE_ABBREVIATIONS[name.upper()]))
    return default_tz


def _year(values: dict[str, str | None], reference: datetime) -> int | None:
    if values.get("Y"):
        return int(values["Y"] or 0)
    if values.get("y"):
        short = int(values["y"] or 0)
        century_digits = values.get("C")
        century = int(century_digits) * 100 if century_digits else (2000 if short < 69 else 1900)
        return century + short
    return None


def _month(values: dict[str, str | None]) -> int | None:
    if values.get("m"):
        return int(values["m"] or 0)
    if values.get("b"):
        return _MONTHS.index((values["b"] or "").lower()) + 1
    if values.get("B"):
        return _MONTH_NAMES.index((values["B"] or "").lower()) + 1
    return None


def _build(
    values: dict[str, str | None], default_tz: tzinfo, reference: datetime
) -> datetime | None:
    zone = _zone(values, default_tz)
    micro = _subsecond(values.get("N"))
    if values.get("s"):
        base = datetime.fromtimestamp(int(values["s"] or 0), tz=UTC)
        return base + timedelta(microseconds=micro)
    hour = int(values.get("H") or 0)
    if values.get("I"):
        hour = int(values["I"] or 0) % 12
        if (values.get("p") or "").lower() == "pm":
            hour += 12
    minute = int(values.get("M") or 0)
    second = min(59, int(values.get("S") or 0))
    year = _year(values, reference)
    inferred_year = year is None
    if year is None:
        year = reference.year
    try:
        if values.get("j"):
            day_of_year = int(values["j"] or 0)
            start = date(year, 1, 1) + timedelta(days=day_of_year - 1)
            month, day = start.month, start.day
        else:
            month = _month(values) or reference.month
            day = int((values.get("d") or str(reference.day)).strip())
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    except ValueError:
        return None
    if inferred_year and moment > reference.astimezone(zone) + timedelta(days=2):
        # Splunk assumes a year-less timestamp is not in the future: use last year.
        try:
            moment = moment.replace(year=year - 1)
        except ValueError:
            return None
    return moment


@lru_cache(maxsize=256)
def compile_time_format(fmt: str) -> SplunkTimeFormat:
    """Compile a TIME_FORMAT; raise TimeFormatError naming an unknown directive."""
    if not fmt:
        raise TimeFormatError("TIME_FORMAT is empty")
    expanded = _expand(fmt)
    parts: list[str] = []
    used: set[str] = set()
    index = 0
    while index < len(expanded):
        char = expanded[index]
        if char == "%":
            directive = _DIRECTIVE.match(expanded, index)
            if directive is None:
                raise TimeFormatError(
                    f"TIME_FORMAT {fmt!r}: incomplete directive at position {index}"
                )
            name = directive.group("name")
            width = directive.group("width")
            if name not in _DIRECTIVES:
                raise TimeFormatError(f"TIME_FORMAT {fmt!r}: unknown directive %{name}")
            if width and name != "N":
                raise TimeFormatError(
                    f"TIME_FORMAT {fmt!r}: a width is only allowed on %N (%{width}{name})"
                )
            regex = _DIRECTIVES[name]
            if name == "N" and width:
                regex = rf"(?P<N>\d{{1,{int(width)}}})"
            group = re.match(r"\(\?P<(\w+)>", regex)
            if group:
                if group.group(1) in used:
                    regex = re.sub(r"\(\?P<\w+>", "(?:", regex, count=1)
                used.add(group.group(1))
            parts.append(regex)
            index = directive.end()
        elif char.isspace():
            while index < len(expanded) and expanded[index].isspace():
                index += 1
            parts.append(r"\s*")
        else:
            parts.append(re.escape(char))
            index += 1
    pattern = re.compile("".join(parts))
    groups = set(pattern.groupindex)
    return SplunkTimeFormat(
        source=fmt,
        regex=pattern,
        has_year=bool(groups & {"Y", "y", "s"}),
        has_zone=bool(groups & {"z", "Z", "s"}),
    )
