"""The same samples give the same TA, byte for byte."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile

from ta_sample_factory import SAMPLES_DIR

from services.requests.ta_builder import BuildOptions, Sample, build_ta
from services.requests.ta_builder.package import FIXED_MTIME

OPTIONS = BuildOptions(source_system="Apache HTTP Server")
PATHS = [SAMPLES_DIR / "apache_error.log", SAMPLES_DIR / "apache_access_combined.log"]


def test_same_samples_same_bytes_whatever_the_order_or_source() -> None:
    first = build_ta([Sample.from_path(p) for p in PATHS], OPTIONS)
    second = build_ta([Sample.from_path(p) for p in reversed(PATHS)], OPTIONS)
    from_bytes = build_ta([Sample.from_bytes(p.name, p.read_bytes()) for p in PATHS], OPTIONS)
    assert first.package == second.package == from_bytes.package
    assert first.config_summary == second.config_summary
    assert first.generation_metadata == from_bytes.generation_metadata


def test_a_different_input_gives_a_different_package() -> None:
    first = build_ta([Sample.from_path(PATHS[0])], OPTIONS)
    changed = PATHS[0].read_bytes().replace(b".", b",", 1)  # 6-digit fraction after a comma
    other_format = build_ta(
        [
            Sample.from_bytes(
                PATHS[0].name,
                b"\n".join(line.replace(b" 2024]", b" 2024] ") for line in changed.splitlines()),
            )
        ],
        OPTIONS,
    )
    other_version = build_ta(
        [Sample.from_path(PATHS[0])],
        BuildOptions(source_system="Apache HTTP Server", version="1.0.1"),
    )
    assert len({first.package, other_format.package, other_version.package}) == 3


def test_archive_metadata_is_fixed() -> None:
    package = build_ta([Sample.from_path(p) for p in PATHS], OPTIONS).package
    assert package[:2] == b"\x1f\x8b"
    (gzip_mtime,) = struct.unpack("<I", package[4:8])
    assert gzip_mtime == 0
    assert package[3] & 0x08 == 0  # no original file name in the gzip header
    raw = gzip.decompress(package)
    with tarfile.open(fileobj=io.BytesIO(raw)) as archive:
        members = archive.getmembers()
    names = [m.name for m in members]
    assert names[0] == "TA-apache-http-server"
    files = [m.name for m in members if m.isfile()]
    assert files == sorted(files)
    for member in members:
        assert member.mtime == FIXED_MTIME
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mode == (0o755 if member.isdir() else 0o644)
        assert not member.name.split("/")[-1].startswith(".")
        assert "/local" not in member.name and not member.name.endswith("local.meta")
