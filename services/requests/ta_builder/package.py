"""Deterministic TA packages: the same files always give the same .tgz bytes."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Mapping

# A fixed modification time for every archive member (2024-01-01T00:00:00Z).
FIXED_MTIME = 1_704_067_200


def _directories(paths: list[str]) -> list[str]:
    found: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            found.add("/".join(parts[:depth]))
    return sorted(found)


def _info(name: str, *, directory: bool, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode = 0o755 if directory else 0o644
    info.size = size
    info.mtime = FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def build_tgz(app_id: str, files: Mapping[str, bytes]) -> bytes:
    """A gzip tar holding ``app_id/`` and the files, sorted, with fixed metadata."""
    paths = sorted(files)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        archive.addfile(_info(app_id, directory=True))
        for directory in _directories(paths):
            archive.addfile(_info(f"{app_id}/{directory}", directory=True))
        for path in paths:
            data = files[path]
            archive.addfile(
                _info(f"{app_id}/{path}", directory=False, size=len(data)), io.BytesIO(data)
            )
    compressed = io.BytesIO()
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=compressed, mtime=0, compresslevel=9
    ) as stream:
        stream.write(raw.getvalue())
    return compressed.getvalue()
