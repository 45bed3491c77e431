"""Quality of generated TAs on real public logs, measured against an independent truth.

Each corpus in ``samples/real`` is a ``<name>.log`` of real log lines and a
``<name>.truth.json`` holding, for some of its lines, the time that line must be read as
(written by hand by the maintainers of the package the lines come from; see
``samples/README.md``). The measurement builds a TA from the log with ``build_ta``, runs the
TA over the same log with the checker's Splunk emulation, and compares the time each event
gets with the expected one.

Used by ``bench/bench_ta_quality.py`` (the table) and ``tests/ta/test_ta_real_logs.py``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.requests.ta_builder import BuildOptions, Sample, TABuildError, build_ta
from services.validation.ta_checker import CheckOptions, LogSample, check_ta
from services.validation.ta_checker.archive import open_package
from services.validation.ta_checker.dynamic import ProcessedEvent, SampleProcessor
from services.validation.ta_checker.static_checks import load_eventtypes, load_tags
from services.validation.ta_checker.ta_config import load_config

REAL = Path(__file__).parent / "samples" / "real"
# The zone fail2ban's expected values are written in for lines that carry a zone or an epoch.
TRUTH_ZONE = "CET-01CEST-02,M3.5.0,M10.5.0"
REFERENCE = datetime(2024, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Corpus:
    name: str
    path: Path
    source_system: str
    kind: str
    zoned_truth: bool
    offsets_ignored: bool  # the truth is each line's wall clock as written, offset or not
    cim_model: str | None  # the CIM data model the corpus belongs to, if any
    expected: dict[int, str]  # line number -> expected local time (ISO)

    @property
    def lines(self) -> list[str]:
        return self.path.read_text(encoding="utf-8").splitlines()


def corpora() -> list[Corpus]:
    found: list[Corpus] = []
    for truth_path in sorted(REAL.glob("*.truth.json")):
        truth = json.loads(truth_path.read_text())
        name = truth_path.name.removesuffix(".truth.json")
        found.append(
            Corpus(
                name=name,
                path=REAL / f"{name}.log",
                source_system=truth["source_system"],
                kind=truth["kind"],
                zoned_truth=not truth["truth_zone"].startswith("wall clock"),
                offsets_ignored=truth["truth_zone"] == "wall clock as written, offset ignored",
                cim_model=truth["cim_model"],
                expected={int(index): when for index, when in truth["expected"]},
            )
        )
    return found


@dataclass
class Quality:
    corpus: str
    builds: bool
    problem: str = ""
    sourcetype: str = ""
    timestamps_right: float = 0.0
    timestamps_checked: int = 0
    # Share of all events given the time Splunk gives them: read from the event, or for an
    # event carrying none the previous event's time (not the arrival time).
    events_timed: float = 0.0
    cim_model: str = ""
    cim_required: bool = False
    cim_required_coverage: float | None = None
    appinspect_failures: int | None = None
    checker_passed: bool = False
    checker_errors: tuple[str, ...] = ()
    error_examples: dict[str, tuple[str, ...]] = field(default_factory=dict)  # code -> events

    @property
    def meets_goal(self) -> bool:
        """The goal on a real corpus: builds, >= 99% of the expected times right and >= 99% of
        all events timed (from the event, or from the previous event when it carries none),
        >= 95% CIM-required fields where a model applies, no AppInspect failure."""
        return (
            self.builds
            and self.timestamps_right >= 0.99
            and self.events_timed >= 0.99
            and (
                not self.cim_required
                or (self.cim_required_coverage is not None and self.cim_required_coverage >= 0.95)
            )
            and not self.appinspect_failures
        )


def _as_truth_clock(moment: datetime, zoned: bool) -> datetime:
    if not zoned:
        return moment.astimezone(UTC).replace(tzinfo=None)
    previous = os.environ.get("TZ")
    os.environ["TZ"] = TRUTH_ZONE
    time.tzset()
    try:
        return datetime.fromtimestamp(moment.timestamp())
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()


_OFFSET = re.compile(r"\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|\s?[+-]\d{2}:?\d{2})(?![\d:])")


def _zoned(corpus: Corpus, line: str) -> bool:
    """Whether fail2ban wrote the expected time of ``line`` in its test zone: lines of a
    corpus of epochs or offsets, and any line whose timestamp carries an offset."""
    return corpus.zoned_truth or _OFFSET.search(line[:80]) is not None


def _same_time(got: datetime, expected_text: str, line: str) -> bool:
    # The hand-written values are not always zero-padded ("2005-03-7T02:09:33").
    numbers = [int(part) for part in re.findall(r"\d+", expected_text)[:6]]
    expected = datetime(*numbers)  # type: ignore[arg-type]
    year = expected.year
    if not re.search(rf"\b{year}\b|\b{year % 100:02d}\d{{4}}\b", line):
        # A year-less line: fail2ban's tests pin a placeholder year (2004, 2005).
        got = got.replace(year=year)
    return got.replace(microsecond=0) == expected.replace(microsecond=0, tzinfo=None)


def processed_events(package: bytes, log: Path) -> Iterator[ProcessedEvent]:
    """Every event of ``log`` under each source type of the TA ``package``, as the checker's
    Splunk emulation indexes and searches it."""
    with tempfile.TemporaryDirectory(prefix="ta-quality-") as scratch:
        archive = Path(scratch) / "ta.tgz"
        archive.write_bytes(package)
        config = load_config(open_package(archive, Path(scratch) / "x"))
        eventtypes, _ = load_eventtypes(config)
        tags, _ = load_tags(config)
        sample = LogSample.from_path(log)
        for sourcetype in config.sourcetypes():
            processor = SampleProcessor(config, sourcetype, sample, eventtypes, tags, REFERENCE)
            yield from processor.events()


def event_times(package: bytes, log: Path) -> dict[str, tuple[str, datetime | None]]:
    """First line of every event -> (source type, time the TA gives it)."""
    times: dict[str, tuple[str, datetime | None]] = {}
    for event in processed_events(package, log):
        first = event.raw.text.split("\n", 1)[0]
        times.setdefault(first, (event.extracted.fields["sourcetype"][0], event.time))
    return times


def measure(corpus: Corpus, *, run_appinspect: bool) -> Quality:
    """Build, emulate and check one corpus; CIM compliance is required where the corpus
    belongs to a CIM data model."""
    cim_required = corpus.cim_model is not None
    sample = Sample.from_path(corpus.path)
    try:
        built = build_ta([sample], BuildOptions(source_system=corpus.source_system))
    except TABuildError as exc:
        return Quality(corpus.name, builds=False, problem=str(exc), cim_required=cim_required)
    quality = Quality(corpus.name, builds=True, cim_required=cim_required)
    quality.sourcetype = ", ".join(built.generation_metadata["sourcetypes"])
    times = event_times(built.package, corpus.path)
    lines = corpus.lines
    right = 0
    for index, expected in corpus.expected.items():
        _, got = times.get(lines[index], ("", None))
        if got is not None and _same_time(
            got.replace(tzinfo=None)
            if corpus.offsets_ignored
            else _as_truth_clock(got, _zoned(corpus, lines[index])),
            expected,
            lines[index],
        ):
            right += 1
    quality.timestamps_checked = len(corpus.expected)
    quality.events_timed = sum(1 for _, got in times.values() if got is not None) / max(
        1, len(times)
    )
    quality.timestamps_right = right / len(corpus.expected) if corpus.expected else 0.0
    checked = check_ta(
        built.package,
        [LogSample.from_path(corpus.path)],
        CheckOptions(run_appinspect=run_appinspect, cim_required=cim_required),
    )
    results: dict[str, Any] = checked.results
    coverages: list[float] = []
    models: list[str] = []
    for run in results["sourcetypes"].values():
        for model, stats in run["cim"].items():
            models.append(model)
            coverages.extend(f["coverage"] for f in stats["required_fields"].values())
    quality.cim_model = ", ".join(sorted(set(models)))
    quality.cim_required_coverage = min(coverages) if coverages else None
    if run_appinspect and results["appinspect"].get("ran"):
        quality.appinspect_failures = len(results["appinspect"].get("failures", []))
    quality.checker_passed = checked.passed
    quality.error_examples = {e["code"]: tuple(e.get("examples", ())) for e in results["errors"]}
    quality.checker_errors = tuple(f"{e['code']}: {e['message']}" for e in results["errors"])
    return quality
