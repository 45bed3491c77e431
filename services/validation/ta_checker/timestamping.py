"""Index-time timestamp extraction: TIME_PREFIX, MAX_TIMESTAMP_LOOKAHEAD, TIME_FORMAT, TZ.

Splunk finds the first match of TIME_PREFIX in the event, then reads TIME_FORMAT right
after it, within MAX_TIMESTAMP_LOOKAHEAD characters. Without TIME_FORMAT Splunk guesses
with its datetime.xml rules; the checker approximates that with common layouts and says so.
DATETIME_CONFIG = CURRENT/NONE gives every event its index time. An event that carries no
timestamp of its own gets, as in Splunk, the time of the previous event of the same source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .pipeline import TimeConfig
from .strptime import SplunkTimeFormat, compile_time_format

_AUTO_FORMATS: tuple[SplunkTimeFormat, ...] = tuple(
    compile_time_format(fmt)
    for fmt in (
        "%Y-%m-%dT%H:%M:%S.%N%:z",
        "%Y-%m-%dT%H:%M:%S.%N%z",
        "%Y-%m-%dT%H:%M:%S%:z",
        "%Y-%m-%dT%H:%M:%S.%N",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S.%N",
        "%Y-%m-%d %H:%M:%S,%N",
        "%Y-%m-%d %H:%M:%S",
        "%d/%b/%Y:%H:%M:%S %z",
        "%a %b %d %H:%M:%S.%N %Y",
        "%a %b %d %H:%M:%S %Y",
        "%b %d %Y %H:%M:%S",
        "%b %d %H:%M:%S",
        "%m/%d/%Y %H:%M:%S",
    )
)
# Anything in an event that may be a time of day or a moment, in layouts the automatic
# formats do not list: a clock with seconds, an epoch in seconds or milliseconds, a compact
# "yymmdd HHMMSS". An event with none of these carries no timestamp of its own.
_TIME_LIKE = re.compile(
    r"(?<!\d)\d{1,2}:\d{2}:\d{2}(?!\d)|(?<![\d.])1\d{9}(?:\d{3})?(?:\.\d+)?(?![\d.])"
    r"|(?<!\d)\d{6,8}[\sT_-]?\d{6}(?!\d)"
)
_BOUNDARY = re.compile(r"(?:^|(?<=[\s\[\]\"'=,;(|<>]))(?=\w)")


class TimeOutcome(StrEnum):
    PARSED = "parsed"
    PREFIX_NOT_FOUND = "prefix_not_found"
    FORMAT_MISMATCH = "format_mismatch"
    INDEX_TIME = "index_time"
    # No timestamp of its own: the previous event's time from the same source.
    PREVIOUS_EVENT = "previous_event"


@dataclass(frozen=True)
class TimestampResult:
    outcome: TimeOutcome
    time: datetime | None


class Timestamper:
    def __init__(self, config: TimeConfig, reference: datetime) -> None:
        self.config = config
        self.reference = reference

    def extract(self, text: str) -> TimestampResult:
        config = self.config
        if config.mode == "current":
            return TimestampResult(TimeOutcome.INDEX_TIME, None)
        start = 0
        if config.prefix is not None:
            found = config.prefix.search(text)
            if found is None:
                return TimestampResult(TimeOutcome.PREFIX_NOT_FOUND, None)
            start = found.end()
        window = text[start : start + config.lookahead] if config.lookahead else text[start:]
        if config.format is not None:
            moment = config.format.parse(window, config.tz, self.reference)
        else:
            moment = self._auto(window)
        if moment is None:
            return TimestampResult(TimeOutcome.FORMAT_MISMATCH, None)
        return TimestampResult(TimeOutcome.PARSED, moment)

    def _auto(self, window: str) -> datetime | None:
        for position, boundary in enumerate(_BOUNDARY.finditer(window)):
            if position > 40:
                break
            piece = window[boundary.start() :]
            for fmt in _AUTO_FORMATS:
                moment = fmt.parse(piece, self.config.tz, self.reference)
                if moment is not None:
                    return moment
        return None

    def carries_time(self, text: str) -> bool:
        """Whether the event holds anything that may be its timestamp (a date of a common
        layout, a clock, an epoch); an event without one has no time of its own."""
        head = text[:256]
        return _TIME_LIKE.search(head) is not None or self._auto(head) is not None

    def starts_with_date(self, line: str) -> bool:
        """Whether ``line`` opens with a timestamp of a common layout (optionally in
        brackets): such a line starts an event of its own in any log."""
        head = line.lstrip("[<(")[:64]
        return any(fmt.parse(head, self.config.tz, self.reference) for fmt in _AUTO_FORMATS)

    def has_date(self, line: str) -> bool:
        """For BREAK_ONLY_BEFORE_DATE: whether the line carries a timestamp."""
        if self.config.mode == "format":
            return self.extract(line).outcome is TimeOutcome.PARSED
        return self._auto(line[:256]) is not None
