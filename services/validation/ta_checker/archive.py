"""Opening a TA package safely: a gzip tar holding one app directory and nothing dangerous."""

from __future__ import annotations

import hashlib
import posixpath
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .errors import ArchiveError, InvalidPackageError, NotGzipError, UnsafeArchiveError

MAX_MEMBERS = 10_000
MAX_UNPACKED_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class TAPackage:
    """An extracted TA: its app directory and the relative paths of its regular files."""

    app_name: str
    root: Path
    files: tuple[str, ...]
    sha256: str
    size: int
    # Permission bits of each file as stored in the archive (extraction drops setuid bits).
    modes: dict[str, int] = field(default_factory=dict)

    def read(self, relative: str) -> bytes | None:
        path = self.root / relative
        return path.read_bytes() if relative in self.files else None


def _check_member(member: tarfile.TarInfo) -> str:
    name = member.name
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"member {name!r} has an absolute path")
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        raise UnsafeArchiveError(f"member {name!r} leaves the app directory (path traversal)")
    if member.issym() or member.islnk():
        target = member.linkname
        if member.issym():
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
        else:
            resolved = posixpath.normpath(target)
        if target.startswith("/") or resolved.startswith("..") or resolved == ".":
            raise UnsafeArchiveError(
                f"member {name!r} is a link to {target!r}, outside the app directory"
            )
        raise UnsafeArchiveError(f"member {name!r} is a link; a TA package must not hold links")
    if not (member.isfile() or member.isdir()):
        raise UnsafeArchiveError(f"member {name!r} is a device, FIFO or other special file")
    return posixpath.normpath(name.replace("\\", "/"))


def _validated(name: str, archive: tarfile.TarFile) -> tuple[list[tarfile.TarInfo], list[str], str]:
    members = archive.getmembers()
    if not members:
        raise InvalidPackageError(f"{name} is an empty archive")
    if len(members) > MAX_MEMBERS:
        raise InvalidPackageError(f"{name} holds more than {MAX_MEMBERS} members")
    unpacked = sum(m.size for m in members if m.isfile())
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidPackageError(
            f"{name} unpacks to {unpacked} bytes, more than {MAX_UNPACKED_BYTES}"
        )
    names = [_check_member(m) for m in members]
    tops = {member_name.split("/", 1)[0] for member_name in names if member_name != "."}
    if len(tops) != 1:
        listing = ", ".join(sorted(tops)[:5])
        raise InvalidPackageError(
            f"{name} must hold exactly one app directory at its top, found: {listing}"
        )
    app_name = tops.pop()
    if app_name.startswith("."):
        raise InvalidPackageError(f"{name}: the app directory {app_name!r} is hidden")
    if any(m.isfile() and n == app_name for m, n in zip(members, names, strict=True)):
        raise InvalidPackageError(f"{name}: {app_name!r} is a file, not a directory")
    return members, names, app_name


def open_package(path: Path, workdir: Path) -> TAPackage:
    """Validate and extract the package into ``workdir``; raise ArchiveError if unsafe."""
    data = path.read_bytes()
    if not data.startswith(b"\x1f\x8b"):
        head = data[:8].hex(" ") if data else "nothing (empty file)"
        raise NotGzipError(f"{path.name} is not a gzip-compressed tar (it starts with {head})")
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            members, names, app_name = _validated(path.name, archive)
            workdir.mkdir(parents=True, exist_ok=True)
            try:
                archive.extractall(workdir, filter="data")
            except (tarfile.TarError, OSError) as exc:
                raise UnsafeArchiveError(f"{path.name} cannot be extracted safely: {exc}") from exc
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ArchiveError(f"{path.name} is not a readable gzip tar: {exc}") from exc
    modes = {
        name.split("/", 1)[1]: member.mode
        for member, name in zip(members, names, strict=True)
        if member.isfile() and "/" in name
    }
    return TAPackage(
        app_name=app_name,
        root=workdir / app_name,
        files=tuple(sorted(modes)),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        modes=modes,
    )
