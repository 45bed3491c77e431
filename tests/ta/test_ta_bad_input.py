"""Bad input gives a dedicated exception with a clear message, or a clearly reported result."""

from __future__ import annotations

import gzip
import io
import os
import random
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from ta_sample_factory import SAMPLES_DIR
from ta_test_helpers import check_one, repack, unpack

from services.requests.ta_builder import (
    BinarySampleError,
    BuildOptions,
    BuildResult,
    EmptySampleError,
    MixedFormatError,
    NoTimestampError,
    Sample,
    build_ta,
)
from services.validation.ta_checker import (
    CheckOptions,
    CheckResult,
    InvalidPackageError,
    LogSample,
    NotGzipError,
    UnsafeArchiveError,
    check_ta,
)
from services.validation.ta_checker.archive import open_package


def _build(data: bytes, name: str = "sample.log", **options: object) -> BuildResult:
    return build_ta(
        [Sample.from_bytes(name, data)], BuildOptions(source_system="Acme App", **options)
    )  # type: ignore[arg-type]


def check_ta_bytes(package: bytes, name: str, data: bytes) -> CheckResult:
    return check_ta(package, [LogSample.from_bytes(name, data)], CheckOptions(run_appinspect=False))


def _lines(count: int, template: str) -> bytes:
    return "\n".join(template.format(i=i, s=i % 60) for i in range(count)).encode()


@pytest.mark.parametrize("data", [b"", b"\n\n  \t\n"])
def test_empty_samples(data: bytes) -> None:
    with pytest.raises(EmptySampleError, match=r"sample sample\.log: is empty"):
        _build(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (random.Random(1).randbytes(4096), "NUL bytes|control characters"),
        (gzip.compress(b"2024-01-01 00:00:00 hello\n" * 100, mtime=0), "gzip-compressed"),
        (b"PK\x03\x04" + bytes(100), "compressed archive"),
        (b"\x01\x02\x03\x04\x05\x06abc" * 200, "control characters"),
    ],
)
def test_binary_samples(data: bytes, reason: str) -> None:
    with pytest.raises(BinarySampleError, match=reason):
        _build(data)


def test_sample_without_timestamps() -> None:
    data = _lines(200, "user {i} opened document {i} and closed it again")
    with pytest.raises(NoTimestampError, match="no recognisable timestamp"):
        _build(data)


def test_sample_without_timestamps_can_use_index_time() -> None:
    data = _lines(200, "user {i} opened document {i} and closed it again")
    built = _build(data, allow_no_timestamp=True)
    props = built.config_summary["sourcetypes"]["acme:app:log"]["props.conf"]["acme:app:log"]
    assert props["DATETIME_CONFIG"] == "CURRENT"
    assert "TIME_FORMAT" not in props
    assert any("DATETIME_CONFIG = CURRENT" in w for w in built.generation_metadata["warnings"])
    assert built.generation_metadata["arrival_time"] == ["acme:app:log"]
    checked = check_ta_bytes(built.package, "sample.log", data)
    stats = checked.results["sourcetypes"]["acme:app:log"]
    assert stats["events"] == 200
    assert stats["timestamp"]["index_time"] == 200
    # Arrival time is allowed to build, but such a TA fails the verdict, naming the
    # source type and showing events.
    assert checked.results["passed"] is False
    [failure] = [e for e in checked.results["errors"] if e["code"] == "dynamic.index_time"]
    assert failure["stanza"] == "acme:app:log" and "0% of 200 events" in failure["message"]
    assert failure["examples"][0].startswith("user 0 opened")


def test_mixed_formats_with_different_timestamps() -> None:
    data = (SAMPLES_DIR / "sso_auth.json").read_bytes()[:30000] + (
        SAMPLES_DIR / "linux_secure.log"
    ).read_bytes()[:30000]
    with pytest.raises(
        MixedFormatError, match=r"mixes event formats \(.*json.*syslog|syslog.*json"
    ):
        _build(data)


def test_mixed_formats_sharing_a_timestamp_are_reported() -> None:
    kv = _lines(100, "2024-03-04 10:00:{s:02d} level=info user=u{i} action=login result=ok")
    text = _lines(100, "2024-03-04 11:00:{s:02d} cache warmed in {i} ms")
    mixed = b"\n".join(
        a + b"\n" + b for a, b in zip(kv.split(b"\n"), text.split(b"\n"), strict=True)
    )
    built = _build(mixed)
    details = built.generation_metadata["sourcetypes"]["acme:app:log"]
    assert details["format"] == "text"
    assert details["confidence"] < 0.9
    assert any("mixes event formats" in w for w in built.generation_metadata["warnings"])
    assert details["timestamp"]["coverage"] == 1.0


def test_a_few_invalid_utf8_bytes_are_replaced_and_reported() -> None:
    lines = _lines(300, "2024-03-04 10:00:{s:02d} user ok {i}").split(b"\n")
    lines[5] += b" \xff\xfe broken"
    data = b"\n".join(lines)
    built = _build(data)
    assert any("invalid UTF-8" in w for w in built.generation_metadata["warnings"])
    checked = check_ta_bytes(built.package, "sample.log", data)
    assert checked.results["passed"] is True
    assert checked.results["sourcetypes"]["acme:app:log"]["events"] == 300


def test_latin1_samples_get_a_charset_and_decode_in_the_checker() -> None:
    data = "\n".join(
        f"2024-03-04 10:00:{i % 60:02d} Benutzer Müller meldete sich an, Größe {i}"
        for i in range(200)
    ).encode("latin-1")
    built = _build(data)
    props = built.config_summary["sourcetypes"]["acme:app:log"]["props.conf"]["acme:app:log"]
    assert props["CHARSET"] == "ISO-8859-1"
    checked = check_ta_bytes(built.package, "sample.log", data)
    stats = checked.results["sourcetypes"]["acme:app:log"]
    assert stats["timestamp_coverage"] == 1.0
    bundle = zipfile.ZipFile(io.BytesIO(checked.debug_bundle))
    events = bundle.read("sourcetypes/acme_app_log/events.jsonl").decode()
    assert "Müller" in events


def test_utf16_samples() -> None:
    data = "\n".join(f"2024-03-04 10:00:{i % 60:02d} event {i}" for i in range(100)).encode(
        "utf-16"
    )
    built = _build(data)
    props = built.config_summary["sourcetypes"]["acme:app:log"]["props.conf"]["acme:app:log"]
    assert props["CHARSET"] == "UTF-16LE"
    checked = check_ta_bytes(built.package, "sample.log", data)
    stats = checked.results["sourcetypes"]["acme:app:log"]
    assert stats["events"] == 100 and stats["timestamp_coverage"] == 1.0


# ----- archives ------------------------------------------------------------------------------


def _good_files(access_ta: BuildResult) -> dict[str, bytes]:
    return unpack(access_ta.package)


def _error_codes(results: dict[str, object]) -> list[str]:
    return [e["code"] for e in results["errors"]]  # type: ignore[index,union-attr]


def _symlink(target: str) -> Callable[[tarfile.TarFile], None]:
    def add(archive: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("TA-apache-http-server/default/evil.conf")
        info.type = tarfile.SYMTYPE
        info.linkname = target
        archive.addfile(info)

    return add


def _device(archive: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("TA-apache-http-server/default/dev")
    info.type = tarfile.CHRTYPE
    archive.addfile(info)


@pytest.mark.parametrize(
    ("make", "exception", "message"),
    [
        (lambda files: b"just some text, not an archive", NotGzipError, "not a gzip"),
        (lambda files: zipfile_bytes(), NotGzipError, "starts with 50 4b"),
        (lambda files: b"", NotGzipError, "empty file"),
        (lambda files: repack(files)[:200], Exception, "gzip tar|damaged"),
        (
            lambda files: repack({**files, "TA-apache-http-server/../../etc/x.conf": b"x"}),
            UnsafeArchiveError,
            "path traversal",
        ),
        (lambda files: repack({**files, "/etc/passwd": b"x"}), UnsafeArchiveError, "absolute"),
        (
            lambda files: repack(files, _symlink("../../../etc/passwd")),
            UnsafeArchiveError,
            "outside the app",
        ),
        (lambda files: repack(files, _symlink("props.conf")), UnsafeArchiveError, "is a link"),
        (lambda files: repack(files, _device), UnsafeArchiveError, "special file"),
        (
            lambda files: repack({**files, "Other-App/default/app.conf": b"[ui]\n"}),
            InvalidPackageError,
            "exactly one app directory",
        ),
    ],
)
def test_unsafe_or_broken_archives(
    access_ta: BuildResult,
    tmp_path: Path,
    make: Callable[[dict[str, bytes]], bytes],
    exception: type[Exception],
    message: str,
) -> None:
    package = make(_good_files(access_ta))
    path = tmp_path / "package.tgz"
    path.write_bytes(package)
    with pytest.raises(exception, match=message):
        open_package(path, tmp_path / "out")
    assert not (tmp_path / "etc").exists()
    result = check_one(package, [SAMPLES_DIR / "apache_access_combined.log"])
    assert result.results["passed"] is False
    (first,) = result.results["errors"]
    assert first["code"].startswith("archive.")
    assert first["file"] == "package.tgz"
    assert result.results["appinspect"]["ran"] is False
    assert zipfile.ZipFile(io.BytesIO(result.debug_bundle)).read("results.json")


def zipfile_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("TA-x/default/app.conf", "[ui]\n")
    return buffer.getvalue()


def test_duplicate_stanza_is_reported_with_file_stanza_and_line(access_ta: BuildResult) -> None:
    files = _good_files(access_ta)
    props_path = "TA-apache-http-server/default/props.conf"
    files[props_path] += b"\n[access_combined]\nTRUNCATE = 20000\n"
    result = check_one(
        repack(files), [SAMPLES_DIR / "apache_access_combined.log"], appinspect=False
    )
    assert result.results["passed"] is False
    errors = [e for e in result.results["errors"] if e["code"] == "conf.duplicate_stanza"]
    assert len(errors) == 1
    error = errors[0]
    assert error["file"] == "default/props.conf"
    assert error["stanza"] == "access_combined"
    assert error["line"] > 3
    assert "first at line 3" in error["message"]


def test_samples_the_checker_cannot_read(access_ta: BuildResult, tmp_path: Path) -> None:
    result = check_one(access_ta.package, [tmp_path / "missing.log"], appinspect=False)
    assert result.results["passed"] is False
    assert "samples.unreadable" in _error_codes(result.results)


def test_random_binary_package_does_not_crash(tmp_path: Path) -> None:
    blob = b"\x1f\x8b" + os.urandom(500)
    result = check_one(blob, [SAMPLES_DIR / "apache_access_combined.log"], appinspect=False)
    assert result.results["passed"] is False
    assert _error_codes(result.results)[0] == "archive.ArchiveError"


# ----- events without a timestamp of their own --------------------------------------------


def _timed_lines(count: int) -> list[str]:
    return [
        f"2024-03-04 10:{i // 60 % 60:02d}:{i % 60:02d} job {i} done user=u{i % 7}"
        for i in range(count)
    ]


def test_an_event_without_a_timestamp_takes_the_previous_events_time() -> None:
    lines = _timed_lines(200)
    built = _build("\n".join(lines).encode())
    lines.insert(100, "job retried by the scheduler")
    checked = check_ta_bytes(built.package, "sample.log", "\n".join(lines).encode())
    stats = checked.results["sourcetypes"]["acme:app:log"]
    assert checked.results["passed"] is True, checked.results["errors"]
    assert stats["timestamp"]["previous_event"] == 1
    assert stats["events_with_timestamp"] == 200 and stats["timestamp_coverage"] == 1.0
    [warning] = [
        w for w in checked.results["warnings"] if w["code"] == "dynamic.events_without_time"
    ]
    assert "1 of 201 events (0.5%)" in warning["message"]
    assert warning["examples"] == ["job retried by the scheduler"]


def test_many_events_without_a_timestamp_fail_as_broken_apart() -> None:
    lines = _timed_lines(200)
    built = _build("\n".join(lines).encode())
    broken = [part for line in lines for part in (line, "    at com.acme.Job.run(Job.java:42)")]
    checked = check_ta_bytes(built.package, "sample.log", "\n".join(broken[:300]).encode())
    assert checked.results["passed"] is False
    [error] = [e for e in checked.results["errors"] if e["code"] == "dynamic.events_without_time"]
    assert "150 of 300 events (50.0%)" in error["message"] and error["key"] == "LINE_BREAKER"


def test_a_timestamp_the_ta_does_not_read_is_no_event_without_one() -> None:
    lines = _timed_lines(200)
    built = _build("\n".join(lines).encode())
    # The first events have no previous one; a date in another layout is the TA's failure.
    opening = ["job queue opened", "job queue ready"]
    lines = [*opening, *lines[:100], "04.03.2024 10:01:40 job 100 done", *lines[101:]]
    checked = check_ta_bytes(built.package, "sample.log", "\n".join(lines).encode())
    stats = checked.results["sourcetypes"]["acme:app:log"]
    assert stats["timestamp"]["previous_event"] == 0
    assert stats["events"] == 202 and stats["events_with_timestamp"] == 199
    assert checked.results["passed"] is False
    [error] = [e for e in checked.results["errors"] if e["code"] == "dynamic.timestamps"]
    assert "on 199 of 202 events (98.5%) that carry one" in error["message"]
    assert "0 without a TIME_PREFIX match, 3 not matching TIME_FORMAT" in error["message"]
