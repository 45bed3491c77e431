"""Checks a TA bundle (.tgz) without unpacking it: a gzip tar whose entries stay inside the
archive; and summarises its inputs.conf, props.conf and transforms.conf stanzas.

Runs in a worker thread over a blocking reader (tarfile in stream mode), so memory stays
bounded whatever the bundle's size.
"""

from __future__ import annotations

import gzip
import posixpath
import tarfile
import zlib
from typing import Any, BinaryIO

from services.kernel.errors import InvalidArgument

SUMMARIZED_CONF_FILES = ("inputs.conf", "props.conf", "transforms.conf")
MAX_MEMBERS = 20_000
MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
MAX_CONF_BYTES = 1024 * 1024
MAX_STANZAS_PER_FILE = 500
FIELD = "chunk"


class InvalidBundle(InvalidArgument):
    """The upload is not a safe gzip-compressed tar archive."""

    def __init__(self, reason: str) -> None:
        super().__init__(FIELD, reason)


def unsafe_path_reason(name: str) -> str | None:
    """Why an archive path could land outside the extraction directory, or None."""
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return f"contains an absolute path: {name!r}"
    if ".." in normalized.split("/"):
        return f"contains a '..' path: {name!r}"
    return None


def _check_member(member: tarfile.TarInfo) -> None:
    reason = unsafe_path_reason(member.name)
    if reason is None and member.issym():
        target = posixpath.normpath(
            posixpath.join(posixpath.dirname(member.name), member.linkname.replace("\\", "/"))
        )
        if member.linkname.startswith("/") or target == ".." or target.startswith("../"):
            reason = f"contains a link that leaves the archive: {member.name!r}"
    if reason is None and member.islnk():
        reason = unsafe_path_reason(member.linkname)
    if reason is None and member.isdev():  # character or block device, FIFO
        reason = f"contains a device or FIFO entry: {member.name!r}"
    if reason is not None:
        raise InvalidBundle(f"the archive {reason}")


def _relative(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def stanzas(text: str) -> list[str]:
    """The [stanza] names of a .conf file, in order."""
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]") and len(stripped) > 2:
            found.append(stripped[1:-1].strip())
            if len(found) >= MAX_STANZAS_PER_FILE:
                break
    return found


def inspect_bundle(reader: BinaryIO) -> dict[str, Any]:
    """Check the bundle and return its config summary; InvalidBundle when it is unsafe or
    not a gzip tar. Reader errors other than bad data propagate (storage problems)."""
    files = 0
    unpacked = 0
    roots: set[str] = set()
    conf: dict[str, list[str]] = {}
    try:
        with tarfile.open(fileobj=reader, mode="r|gz") as archive:
            for count, member in enumerate(archive, start=1):
                if count > MAX_MEMBERS:
                    raise InvalidBundle(f"the archive has more than {MAX_MEMBERS} entries")
                _check_member(member)
                unpacked += max(member.size, 0)
                if unpacked > MAX_UNPACKED_BYTES:
                    raise InvalidBundle(f"the archive unpacks to more than {MAX_UNPACKED_BYTES} B")
                name = _relative(member.name)
                roots.add(name.split("/", 1)[0])
                if not member.isfile():
                    continue
                files += 1
                wanted = posixpath.basename(name) in SUMMARIZED_CONF_FILES
                if wanted and member.size <= MAX_CONF_BYTES:
                    handle = archive.extractfile(member)
                    if handle is not None:
                        conf[name] = stanzas(handle.read().decode("utf-8", errors="replace"))
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InvalidBundle(f"is not a gzip-compressed tar archive ({exc})") from None
    if files == 0:
        raise InvalidBundle("the archive contains no files")
    return {
        "app": next(iter(roots)) if len(roots) == 1 else None,
        "file_count": files,
        "unpacked_bytes": unpacked,
        "conf_files": conf,
    }
