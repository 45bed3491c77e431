"""TA bundle checks: a gzip tar whose entries stay inside the archive, and its summary."""

from __future__ import annotations

import io
import tarfile

import pytest

from services.requests.bundles import InvalidBundle, inspect_bundle, stanzas, unsafe_path_reason
from tests.requests.streams import make_tgz, ta_bundle


def check(data: bytes) -> dict:
    return inspect_bundle(io.BytesIO(data))


def test_summary_of_a_valid_bundle() -> None:
    summary = check(ta_bundle("TA-apache"))
    assert summary["app"] == "TA-apache"
    assert summary["file_count"] == 3
    assert summary["conf_files"] == {
        "TA-apache/default/props.conf": ["apache:access", "source::/var/log/apache"],
        "TA-apache/default/inputs.conf": ["monitor:///var/log/apache/access.log"],
    }


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "../evil.sh", "TA/../../x", "TA/..\\..\\x", "C:/windows/x"]
)
def test_unsafe_paths_are_refused(name: str) -> None:
    with pytest.raises(InvalidBundle) as err:
        check(make_tgz({"TA/ok.conf": b"", name: b"x"}))
    assert err.value.field == "chunk"
    assert "absolute" in err.value.reason or "'..'" in err.value.reason


@pytest.mark.parametrize("target", ["/etc/shadow", "../../outside", "../.."])
def test_links_leaving_the_archive_are_refused(target: str) -> None:
    with pytest.raises(InvalidBundle, match="link"):
        check(make_tgz({"TA/a.conf": b""}, links={"TA/link": target}))


def test_links_inside_the_archive_are_fine() -> None:
    assert check(make_tgz({"TA/a.conf": b""}, links={"TA/sub/link": "../a.conf"}))["app"] == "TA"


def test_device_entries_are_refused() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("TA/dev")
        info.type = tarfile.CHRTYPE
        archive.addfile(info)
    with pytest.raises(InvalidBundle, match="device"):
        check(buffer.getvalue())


@pytest.mark.parametrize(
    "data",
    [
        b"plain text, not gzip",
        b"\x1f\x8b\x08\x00garbage-after-gzip-magic",
        make_tgz({"TA/a": b"x" * 1000})[:60],  # truncated
    ],
    ids=["text", "bad-gzip", "truncated"],
)
def test_not_a_gzip_tar(data: bytes) -> None:
    with pytest.raises(InvalidBundle, match="gzip-compressed tar"):
        check(data)


def test_plain_tar_without_gzip_is_refused() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("TA/a")
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(InvalidBundle):
        check(buffer.getvalue())


def test_empty_archive_is_refused() -> None:
    with pytest.raises(InvalidBundle, match="no files"):
        check(make_tgz({}))


def test_helpers() -> None:
    assert stanzas("# c\n[a]\nx=1\n [ b ] \n[]\n") == ["a", "b"]
    assert unsafe_path_reason("TA/default/props.conf") is None
    assert unsafe_path_reason("./TA/x") is None
    assert unsafe_path_reason("TA/..hidden") is None
