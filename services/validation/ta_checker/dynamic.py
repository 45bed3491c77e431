"""The dynamic check: the TA applied to the samples as Splunk would at index and search time.

Each sample is streamed through its source type's pipeline - event breaking, index-time
routing (nullQueue transforms), timestamp extraction, search-time extraction, event types
and tags - and only counters and a few examples are kept, so any sample size fits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .cim import CimAccumulator
from .event_breaking import RawEvent, iter_events
from .extraction import DEFAULT_FIELDS, ExtractedEvent, SearchTimeExtractor, TagIndex
from .pipeline import SourcetypePipeline, TransformRule, build_pipeline
from .samples import LogSample
from .search_expr import EventtypeSearch
from .ta_config import TAConfig
from .timestamping import TimeOutcome, Timestamper, TimestampResult

MAX_EXAMPLES = 5
HOST = "tagen-checker"


@dataclass
class SourcetypeRun:
    """Counters for one source type over all its samples."""

    sourcetype: str
    samples: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    with_timestamp: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    truncated: int = 0
    multiline: int = 0
    dropped: int = 0
    fields: Counter[str] = field(default_factory=Counter)
    eventtypes: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    cim: CimAccumulator = field(default_factory=CimAccumulator)
    eval_failures: Counter[str] = field(default_factory=Counter)
    not_emulated: set[str] = field(default_factory=set)
    earliest: datetime | None = None
    latest: datetime | None = None
    time_mode: str = "format"
    settings: dict[str, str] = field(default_factory=dict)
    first_events: list[dict[str, Any]] = field(default_factory=list)
    timestamp_failures: list[dict[str, Any]] = field(default_factory=list)
    untimed_examples: list[dict[str, Any]] = field(default_factory=list)
    truncated_examples: list[str] = field(default_factory=list)
    raw_examples: list[dict[str, Any]] = field(default_factory=list)
    # Events holding a later line that opens with a timestamp: several events merged.
    merged: int = 0
    merged_examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def without_own_time(self) -> int:
        """Events that carry no timestamp and take the previous event's time."""
        return self.outcomes[TimeOutcome.PREVIOUS_EVENT]

    @property
    def timestamp_coverage(self) -> float:
        """Share of the events carrying a timestamp whose time is read from the event."""
        carrying = self.events - self.without_own_time
        return self.with_timestamp / carrying if carrying else 0.0

    def field_coverage(self, name: str) -> float:
        return self.fields[name] / self.events if self.events else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "events": self.events,
            "events_with_timestamp": self.with_timestamp,
            "timestamp_coverage": round(self.timestamp_coverage, 4),
            "timestamp": {
                "mode": self.time_mode,
                "prefix_not_found": self.outcomes[TimeOutcome.PREFIX_NOT_FOUND],
                "format_mismatch": self.outcomes[TimeOutcome.FORMAT_MISMATCH],
                "index_time": self.outcomes[TimeOutcome.INDEX_TIME],
                "previous_event": self.without_own_time,
                "earliest": self.earliest.isoformat() if self.earliest else None,
                "latest": self.latest.isoformat() if self.latest else None,
            },
            "truncated_events": self.truncated,
            "multiline_events": self.multiline,
            "merged_events": self.merged,
            "dropped_events": self.dropped,
            "fields": {
                name: {"events": count, "coverage": round(self.field_coverage(name), 4)}
                for name, count in sorted(self.fields.items())
            },
            "eventtypes": dict(sorted(self.eventtypes.items())),
            "tags": dict(sorted(self.tags.items())),
            "cim": self.cim.to_dict(),
            "eval_failures": dict(sorted(self.eval_failures.items())),
            "not_emulated": sorted(self.not_emulated),
        }


def _routed_to_null(rules: list[tuple[str, list[TransformRule]]], text: str) -> bool:
    for _, transforms in rules:
        for rule in transforms:
            if (
                rule.dest_key == "queue"
                and (rule.format_value or "").strip() == "nullQueue"
                and rule.regex is not None
                and rule.regex.search(text)
            ):
                return True
    return False


@dataclass
class ProcessedEvent:
    raw: RawEvent
    time: datetime | None
    outcome: TimeOutcome
    extracted: ExtractedEvent


class SampleProcessor:
    """Runs one sample through one source type's pipeline."""

    def __init__(
        self,
        config: TAConfig,
        sourcetype: str,
        sample: LogSample,
        eventtypes: list[tuple[str, EventtypeSearch]],
        tags: TagIndex,
        reference: datetime,
    ) -> None:
        self.sample = sample
        self.pipeline: SourcetypePipeline = build_pipeline(config, sourcetype, sample.name)
        self.timestamper = Timestamper(self.pipeline.time, reference)
        self.extractor = SearchTimeExtractor(self.pipeline.search, eventtypes, tags)
        self.dropped = 0
        self.not_emulated = {
            f"{key} (DEST_KEY = {rule.dest_key})"
            for key, rules in self.pipeline.index_transforms
            for rule in rules
            if rule.dest_key is not None and rule.dest_key != "queue"
        }

    def events(self, limit: int | None = None) -> Iterator[ProcessedEvent]:
        count = 0
        previous: datetime | None = None
        with self.sample.open() as stream:
            for raw in iter_events(stream, self.pipeline.breaking, self.timestamper.has_date):
                if _routed_to_null(self.pipeline.index_transforms, raw.text):
                    self.dropped += 1
                    continue
                stamp = self.timestamper.extract(raw.text)
                if stamp.time is not None:
                    previous = stamp.time
                elif (
                    stamp.outcome is not TimeOutcome.INDEX_TIME
                    and previous is not None
                    and not self.timestamper.carries_time(raw.text)
                ):
                    stamp = TimestampResult(TimeOutcome.PREVIOUS_EVENT, previous)
                base: dict[str, list[str]] = {
                    "_raw": [raw.text],
                    "host": [HOST],
                    "source": [self.sample.name],
                    "sourcetype": [self.pipeline.sourcetype],
                    "index": ["main"],
                    "linecount": [str(raw.lines)],
                }
                if stamp.time is not None:
                    base["_time"] = [f"{stamp.time.timestamp():.6f}"]
                yield ProcessedEvent(raw, stamp.time, stamp.outcome, self.extractor.apply(base))
                count += 1
                if limit is not None and count >= limit:
                    return


def run_sample(
    run: SourcetypeRun, processor: SampleProcessor, *, limit: int | None, keep_events: int
) -> int:
    """Accumulate one sample's events into the source type's run; returns its event count."""
    events = 0
    run.time_mode = {
        "format": "TIME_FORMAT",
        "auto": "automatic (no TIME_FORMAT)",
        "current": "index time",
    }[processor.pipeline.time.mode]
    run.settings = {k: v.value for k, v in sorted(processor.pipeline.settings.items())}
    run.not_emulated |= processor.not_emulated
    run.not_emulated |= {f"{key} (could not be compiled)" for key in processor.pipeline.skipped}
    for event in processor.events(limit):
        events += 1
        run.events += 1
        run.outcomes[event.outcome] += 1
        if event.time is not None:
            run.with_timestamp += event.outcome is TimeOutcome.PARSED
            if (
                event.outcome is TimeOutcome.PREVIOUS_EVENT
                and len(run.untimed_examples) < MAX_EXAMPLES
            ):
                run.untimed_examples.append({"_raw": event.raw.text[:500]})
            run.earliest = min(run.earliest, event.time) if run.earliest else event.time
            run.latest = max(run.latest, event.time) if run.latest else event.time
        elif event.outcome is not TimeOutcome.INDEX_TIME and (
            len(run.timestamp_failures) < MAX_EXAMPLES
        ):
            run.timestamp_failures.append(
                {"outcome": event.outcome.value, "_raw": event.raw.text[:500]}
            )
        if len(run.raw_examples) < MAX_EXAMPLES:
            run.raw_examples.append({"_raw": event.raw.text[:500]})
        if event.raw.truncated:
            run.truncated += 1
            if len(run.truncated_examples) < MAX_EXAMPLES:
                run.truncated_examples.append(event.raw.text[:300])
        if event.raw.lines > 1:
            run.multiline += 1
            if any(
                processor.timestamper.starts_with_date(line)
                for line in event.raw.text.split("\n")[1:]
            ):
                run.merged += 1
                if len(run.merged_examples) < MAX_EXAMPLES:
                    run.merged_examples.append({"_raw": event.raw.text[:500]})
        fields = event.extracted.fields
        run.fields.update(
            name for name, values in fields.items() if values and name not in DEFAULT_FIELDS
        )
        run.eventtypes.update(event.extracted.eventtypes)
        run.tags.update(event.extracted.tags)
        run.cim.add(event.extracted.tags, fields)
        run.eval_failures.update(event.extracted.eval_failures)
        if len(run.first_events) < keep_events:
            run.first_events.append(
                {
                    "_time": event.time.isoformat() if event.time else None,
                    "timestamp": event.outcome.value,
                    "fields": {k: v if len(v) > 1 else v[0] for k, v in sorted(fields.items())},
                }
            )
    run.dropped += processor.dropped
    return events
