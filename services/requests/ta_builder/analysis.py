"""Analysis of one log sample: encoding, event boundaries, format, timestamp and fields."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .breaking import EventBreaking, detect_breaking, line_timestamps, split_events, text_lines
from .errors import EmptySampleError, MixedFormatError, NoTimestampError
from .formats import (
    APACHE_ACCESS_RE,
    AUTH_RES,
    CISCO_ASA_RE,
    LOG_LEVEL_RE,
    SYSLOG_RFC3164_RE,
    SYSLOG_RFC5424_RE,
    CsvLayout,
    FieldStats,
    LogFormat,
    classify_event,
    colon_pairs,
    csv_pairs,
    detect_csv_header,
    event_fields,
    format_shares,
    kv_pairs,
)
from .samples import Sample, WindowLimits, decode_window, read_window
from .time_prefix import TimestampPlacement, place_generic, place_keyed
from .vendor_messages import matching_vendors

MAX_HEAD_LINES = 2000
MAX_HEAD_EVENTS = 3000
MAX_BLOCK_EVENTS = 250
FORMAT_DOMINANCE = 0.9
MIN_TIMESTAMP_COVERAGE = 0.5


@dataclass(frozen=True)
class AnalysisOptions:
    limits: WindowLimits = field(default_factory=WindowLimits)
    default_timezone: str | None = None
    allow_no_timestamp: bool = False


@dataclass
class SampleAnalysis:
    """What was learnt from one sample; the generator's input for one source type."""

    name: str
    total_bytes: int
    analysed_bytes: int
    charset: str
    format: LogFormat
    format_share: float
    shares: list[tuple[str, float]]
    breaking: EventBreaking
    csv: CsvLayout | None
    timestamp: TimestampPlacement | None
    events: list[str]
    max_event_bytes: int
    fields: FieldStats
    warnings: list[str] = field(default_factory=list)
    combined_log: bool = False
    syslog_rfc5424: bool = False
    body_kv: bool = False
    log_levels: bool = False
    auth_events: int = 0
    asa_message_ids: Counter[str] = field(default_factory=Counter)
    vendors: list[str] = field(default_factory=list)  # keys of VENDOR_MESSAGES found
    colon_kv: bool = False  # "Key: value" pairs in most events

    @property
    def confidence(self) -> float:
        time_part = self.timestamp.coverage if self.timestamp else 0.5
        return round(self.format_share * time_part, 3)

    def signature(self) -> tuple[object, ...]:
        """Samples with the same signature share one source type."""
        stamp = self.timestamp
        return (
            self.format,
            self.charset,
            self.breaking.line_breaker,
            self.csv.columns if self.csv else None,
            stamp.prefix if stamp else None,
            stamp.settings.time_format if stamp else None,
            self.syslog_rfc5424,
        )


def _cap_events(segments: tuple[str, ...], breaking: EventBreaking) -> list[str]:
    events = split_events(segments[:1], breaking)[:MAX_HEAD_EVENTS]
    for segment in segments[1:]:
        events.extend(split_events((segment,), breaking)[1:MAX_BLOCK_EVENTS])
    return events


def _event_pairs(
    fmt: LogFormat, events: list[str], csv: CsvLayout | None
) -> list[list[tuple[str, str]]]:
    if fmt is LogFormat.CSV and csv is not None:
        return [csv_pairs(csv, event) for event in events]
    if fmt in (LogFormat.JSON, LogFormat.XML, LogFormat.KV):
        return [event_fields(fmt, event) for event in events]
    return [kv_pairs(event) for event in events]


def _syslog_body(event: str) -> str:
    match = SYSLOG_RFC3164_RE.match(event) or SYSLOG_RFC5424_RE.match(event)
    return event[match.end() :] if match else event


def analyse_sample(sample: Sample, options: AnalysisOptions = AnalysisOptions()) -> SampleAnalysis:
    """Read a bounded window of the sample and describe its events."""
    window = read_window(sample, options.limits)
    decoded = decode_window(window)
    warnings = list(decoded.warnings)
    head_lines = [line for line in text_lines(decoded.segments[0]) if line.strip()]
    if not head_lines:
        raise EmptySampleError(f"sample {sample.name}: is empty (no log events)")
    csv = detect_csv_header(head_lines[:501])
    probe = head_lines[:MAX_HEAD_LINES]
    stamps = line_timestamps(probe if csv is None else probe[1:])
    breaking = detect_breaking(probe, csv, stamps)
    events = _cap_events(decoded.segments, breaking)
    if csv is not None:
        events = [event for event in events if event != csv.header_line]
    if not events:
        raise EmptySampleError(f"sample {sample.name}: has no events besides a header")

    formats = [LogFormat.CSV] * len(events) if csv else [classify_event(e) for e in events]
    shares = format_shares(formats)
    fmt, share = shares[0]
    mixed = share < FORMAT_DOMINANCE
    if mixed:
        fmt = LogFormat.TEXT

    pairs = _event_pairs(fmt, events, csv)
    placement: TimestampPlacement | None = None
    if fmt in (LogFormat.JSON, LogFormat.KV, LogFormat.CSV):
        placement = place_keyed(fmt, events, pairs, csv, options.default_timezone)
    if placement is None or placement.coverage < 0.9:
        generic = place_generic(events, options.default_timezone)
        if generic is not None and (placement is None or generic.coverage > placement.coverage):
            placement = generic

    described_shares = [(f.value, round(s, 3)) for f, s in shares if s >= 0.005]
    coverage = placement.coverage if placement else 0.0
    if mixed and coverage < FORMAT_DOMINANCE:
        listing = ", ".join(f"{name} {s:.0%}" for name, s in described_shares)
        raise MixedFormatError(
            f"sample {sample.name}: mixes event formats ({listing}) whose timestamps differ; "
            "split it into one sample per format"
        )
    if coverage < MIN_TIMESTAMP_COVERAGE:
        if not options.allow_no_timestamp:
            found = f" (only {coverage:.0%} of events)" if placement else ""
            raise NoTimestampError(
                f"sample {sample.name}: no recognisable timestamp in its events{found}; "
                "allow index-time timestamps to build a TA anyway"
            )
        warnings.append(
            f"sample {sample.name}: no recognisable timestamp; events get the time they are "
            "indexed (DATETIME_CONFIG = CURRENT)"
        )
        placement = None
    elif coverage < 0.99 and placement is not None:
        warnings.append(
            f"sample {sample.name}: the timestamp was found on only {coverage:.1%} of events"
        )
    if mixed:
        listing = ", ".join(f"{name} {s:.0%}" for name, s in described_shares)
        warnings.append(
            f"sample {sample.name}: mixes event formats ({listing}); built a generic "
            "free-text source type - split the sample by format for field extractions"
        )
    if placement is not None:
        warnings.extend(f"sample {sample.name}: {note}" for note in placement.settings.notes)

    analysis = SampleAnalysis(
        name=sample.name,
        total_bytes=decoded.total_bytes,
        analysed_bytes=decoded.analysed_bytes,
        charset=decoded.charset,
        format=fmt,
        format_share=share,
        shares=described_shares,
        breaking=breaking,
        csv=csv,
        timestamp=placement,
        events=events,
        max_event_bytes=max(len(e.encode("utf-8", errors="replace")) for e in events),
        fields=FieldStats(),
        warnings=warnings,
    )
    _describe_traits(analysis, pairs)
    return analysis


def _describe_traits(analysis: SampleAnalysis, pairs: list[list[tuple[str, str]]]) -> None:
    events = analysis.events
    fmt = analysis.format
    if fmt in (LogFormat.JSON, LogFormat.XML, LogFormat.KV, LogFormat.CSV):
        for event_pairs in pairs:
            analysis.fields.add_event(event_pairs)
        return
    if fmt is LogFormat.APACHE_ACCESS:
        matches = [APACHE_ACCESS_RE.match(event) for event in events]
        combined = sum(1 for m in matches if m and m.group("combined"))
        analysis.combined_log = combined / len(events) >= 0.5
        return
    if fmt is LogFormat.CISCO_ASA:
        for event in events:
            found = CISCO_ASA_RE.search(event[:300])
            if found:
                analysis.asa_message_ids[found.group(0)[-7:-1]] += 1
        return
    bodies = [_syslog_body(event) for event in events] if fmt is LogFormat.SYSLOG else events
    if fmt is LogFormat.SYSLOG:
        analysis.syslog_rfc5424 = (
            sum(1 for e in events if SYSLOG_RFC5424_RE.match(e)) / len(events) >= 0.5
        )
        analysis.auth_events = sum(
            1 for event in events if any(regex.search(event[:600]) for regex in AUTH_RES)
        )
    analysis.vendors = matching_vendors(events)
    kv_events = 0
    for body in bodies:
        body_pairs = kv_pairs(body)
        if len(body_pairs) >= 2:
            kv_events += 1
        analysis.fields.add_event(body_pairs)
    analysis.body_kv = kv_events / len(events) >= 0.5
    if not analysis.body_kv:
        analysis.fields = FieldStats()
    if fmt is LogFormat.TEXT:
        colon = [colon_pairs(event) for event in events]
        analysis.colon_kv = sum(1 for pairs in colon if len(pairs) >= 2) / len(events) >= 0.5
    levels = sum(1 for body in bodies if LOG_LEVEL_RE.search(body[:200]))
    analysis.log_levels = fmt is LogFormat.TEXT and levels / len(events) >= 0.5
