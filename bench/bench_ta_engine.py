"""Benchmark of the TA engine: generation and checking time and peak memory.

Generates Apache access logs (NCSA combined, via the test sample factory) of the requested
sizes into a temporary directory, then for each size runs, each in a fresh Python process,
``build_ta`` and ``check_ta`` (with splunk-appinspect), and reports wall time and the
process's peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) next to the
peak of a process that only imports the engine.

    .venv/bin/python bench/bench_ta_engine.py              # 10 MB and 200 MB
    .venv/bin/python bench/bench_ta_engine.py --sizes 10,200,1024 --build-only-above 200

Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


def _generate(path: Path, size_mb: int, source: Path | None) -> None:
    """Write about ``size_mb`` MB of Apache combined log to ``path``."""
    if source is not None and size_mb > 256:
        # Very large files repeat a generated one (the timestamps restart at each copy).
        target = size_mb * MB
        with path.open("wb") as out:
            while out.tell() < target:
                with source.open("rb") as chunk:
                    while out.tell() < target and (block := chunk.read(8 * MB)):
                        out.write(block[: target - out.tell()])
        return
    sys.path.insert(0, str(ROOT / "tests" / "ta"))
    from ta_sample_factory import apache_access_stream

    chunks = apache_access_stream(size_mb * MB, seed=2024)
    with path.open("wb") as out:
        while out.tell() < size_mb * MB:
            out.write(chunks())


def _worker(mode: str, sample: str, package: str) -> None:
    """Runs in a child process; prints one JSON line with the figures."""
    sys.path.insert(0, str(ROOT))
    from services.requests.ta_builder import BuildOptions, Sample, build_ta
    from services.validation.ta_checker import CheckOptions, LogSample, check_ta

    started = time.perf_counter()
    figures: dict[str, object] = {}
    if mode == "build":
        result = build_ta(
            [Sample.from_path(sample)], BuildOptions(source_system="Apache HTTP Server")
        )
        Path(package).write_bytes(result.package)
        details = result.generation_metadata["sourcetypes"]["access_combined"]
        figures["analysed_bytes"] = details["samples"][0]["analysed_bytes"]
        figures["read_bytes"] = details["samples"][0]["bytes"]
        figures["time_format"] = details["timestamp"]["time_format"]
    elif mode == "check":
        checked = check_ta(Path(package), [LogSample.from_path(sample)], CheckOptions())
        stats = checked.results["sourcetypes"]["access_combined"]
        figures["passed"] = checked.passed
        figures["events"] = stats["events"]
        figures["timestamp_coverage"] = stats["timestamp_coverage"]
        figures["appinspect_failures"] = checked.results["appinspect"]["summary"].get("failure")
        figures["appinspect_seconds"] = checked.results["appinspect"]["duration_seconds"]
    figures["seconds"] = round(time.perf_counter() - started, 2)
    figures["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))


def _run(mode: str, sample: Path, package: Path) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", mode, str(sample), str(package)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    figures: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,200", help="sample sizes in MB, comma separated")
    parser.add_argument(
        "--build-only-above",
        type=int,
        default=10_000,
        help="above this size (MB) only generation is measured",
    )
    parser.add_argument(
        "--worker", nargs=3, metavar=("MODE", "SAMPLE", "PACKAGE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        _worker(*args.worker)
        return 0
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-ta-") as scratch:
        work = Path(scratch)
        baseline = _run("import", work / "none", work / "none")
        print(f"baseline (interpreter + engine imported): max RSS {baseline['max_rss_mb']} MB")
        header = f"{'sample':>8} | {'step':<5} | {'seconds':>8} | {'max RSS MB':>10} | details"
        print(header)
        print("-" * len(header))
        source: Path | None = None
        for size in sorted(sizes):
            sample = work / f"access_{size}mb.log"
            started = time.perf_counter()
            _generate(sample, size, source)
            generated = time.perf_counter() - started
            source = sample
            package = work / f"ta_{size}.tgz"
            actual = sample.stat().st_size / MB
            label = f"{actual:.0f} MB"
            build = _run("build", sample, package)
            print(
                f"{label:>8} | {'build':<5} | {build['seconds']:>8} | {build['max_rss_mb']:>10} | "
                f"read {build['read_bytes']} bytes, analysed {build['analysed_bytes']}, "
                f"{build['time_format']} "
                f"(sample written in {generated:.1f} s)"
            )
            if size > args.build_only_above:
                continue
            check = _run("check", sample, package)
            print(
                f"{label:>8} | {'check':<5} | {check['seconds']:>8} | {check['max_rss_mb']:>10} | "
                f"{check['events']} events, timestamps {check['timestamp_coverage']:.2%}, "
                f"passed={check['passed']}, appinspect failures "
                f"{check['appinspect_failures']} ({check['appinspect_seconds']} s)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
