"""Helpers shared by the TA engine tests: build, check, unpack and repack TA packages."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ta_sample_factory import SAMPLES_DIR, SampleSpec

from services.requests.ta_builder import BuildOptions, BuildResult, Sample, build_ta
from services.validation.ta_checker import CheckOptions, CheckResult, LogSample, check_ta

REFERENCE_TIME = datetime(2024, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class BuiltAndChecked:
    spec: SampleSpec
    build: BuildResult
    check: CheckResult


def build_one(spec: SampleSpec, *, cim: bool = True) -> BuildResult:
    return build_ta(
        [Sample.from_path(SAMPLES_DIR / spec.filename)],
        BuildOptions(source_system=spec.source_system, cim=cim),
    )


def check_one(
    package: bytes | Path,
    paths: list[Path],
    *,
    appinspect: bool = True,
    appinspect_executable: str | None = None,
    sourcetype_for: dict[str, str] | None = None,
    max_events: int | None = None,
) -> CheckResult:
    options = CheckOptions(
        run_appinspect=appinspect,
        appinspect_executable=appinspect_executable,
        sourcetype_for=sourcetype_for or {},
        max_events_per_sample=max_events,
        reference_time=REFERENCE_TIME,
    )
    return check_ta(package, [LogSample.from_path(path) for path in paths], options)


def unpack(package: bytes) -> dict[str, bytes]:
    """Archive member name -> content (regular files only)."""
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(package), mode="r:gz") as archive:
        for member in archive.getmembers():
            if member.isfile():
                handle = archive.extractfile(member)
                assert handle is not None
                out[member.name] = handle.read()
    return out


def repack(
    files: dict[str, bytes], extra: Callable[[tarfile.TarFile], None] | None = None
) -> bytes:
    """A gzip tar of the given members (plus whatever ``extra`` adds)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
        if extra is not None:
            extra(archive)
    return buffer.getvalue()
