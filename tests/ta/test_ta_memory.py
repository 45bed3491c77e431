"""Memory stays bounded whatever the sample size: the generator analyses a bounded window,
the checker streams events and keeps only counters and capped examples. (Timings and peak
memory for 10 MB and 200 MB samples are in bench/bench_ta_engine.py.)"""

from __future__ import annotations

import io
import itertools
import re
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator

from ta_sample_factory import apache_access_stream

from services.requests.ta_builder import BuildOptions, Sample, build_ta
from services.validation.ta_checker import CheckOptions, LogSample, check_ta
from services.validation.ta_checker.event_breaking import iter_events
from services.validation.ta_checker.pipeline import BreakingConfig

MB = 1024 * 1024


class _RepeatingLog(io.RawIOBase):
    """A read-only stream of ``size`` bytes made by repeating a block of Apache log lines."""

    def __init__(self, size: int, block: bytes) -> None:
        self.remaining = size
        self.blocks: Iterator[bytes] = itertools.repeat(block)
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self.pending) < len(buffer) and self.remaining > 0:
            block = next(self.blocks)[: self.remaining]
            self.remaining -= len(block)
            self.pending += block
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count


BLOCK = apache_access_stream(0, seed=5)()


def _opener(size: int) -> Callable[[], io.BufferedReader]:
    return lambda: io.BufferedReader(_RepeatingLog(size, BLOCK))


def test_generation_memory_is_bounded_for_a_40_mb_sample() -> None:
    size = 40 * MB
    tracemalloc.start()
    try:
        built = build_ta(
            [Sample("big_access.log", _opener(size))],
            BuildOptions(source_system="Apache HTTP Server"),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    details = built.generation_metadata["sourcetypes"]["access_combined"]
    sample = details["samples"][0]
    assert sample["bytes"] == size  # the whole stream was read ...
    assert sample["analysed_bytes"] <= 2 * MB  # ... but only a bounded window analysed
    assert details["timestamp"]["time_format"] == "%d/%b/%Y:%H:%M:%S %z"
    assert peak < 16 * MB, peak


def test_event_breaking_streams_20_mb_in_bounded_memory() -> None:
    config = BreakingConfig(
        line_breaker=re.compile(r"([\r\n]+)"),
        should_linemerge=False,
        truncate=10000,
        break_only_before=None,
        break_only_before_date=True,
        must_break_after=None,
        must_not_break_after=None,
        must_not_break_before=None,
        max_events=256,
        charset="utf-8",
    )
    size = 20 * MB
    tracemalloc.start()
    try:
        with _opener(size)() as stream:
            events = sum(1 for _ in iter_events(stream, config, lambda _: False))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert events == size // len(BLOCK) * BLOCK.count(b"\n") + BLOCK[: size % len(BLOCK)].count(
        b"\n"
    ) + (0 if size % len(BLOCK) == 0 else 1)
    assert peak < 6 * MB, peak


def test_the_checker_keeps_only_capped_examples() -> None:
    small = build_ta(
        [Sample("a.log", _opener(200_000))], BuildOptions(source_system="Apache HTTP Server")
    )
    result = check_ta(
        small.package,
        [LogSample("big_access.log", _opener(2 * MB))],
        CheckOptions(run_appinspect=False, debug_events=20),
    )
    stats = result.results["sourcetypes"]["access_combined"]
    assert stats["events"] > 10_000
    assert stats["timestamp_coverage"] == 1.0
    bundle = zipfile.ZipFile(io.BytesIO(result.debug_bundle))
    events = bundle.read("sourcetypes/access_combined/events.jsonl").splitlines()
    assert len(events) == 20
    assert len(result.debug_bundle) < 200_000
    for values in (stats["cim"]["Web"]["invalid_values"] or {}).values():
        assert len(values["examples"]) <= 5
