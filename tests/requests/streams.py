"""Building upload streams and .tgz bundles for the requests tests."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import uuid
from collections.abc import AsyncIterator, Iterable

from tagen.requests.v1 import requests_pb2 as pb

CHUNK = 64 * 1024


def chunked(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


async def sample_stream(
    request_id: uuid.UUID | str,
    data: bytes | Iterable[bytes],
    *,
    filename: str = "access.log",
    content_type: str = "text/plain",
    sha256: str = "",
) -> AsyncIterator[pb.UploadLogSampleRequest]:
    yield pb.UploadLogSampleRequest(
        metadata=pb.LogSampleMetadata(
            request_id=str(request_id), filename=filename, content_type=content_type, sha256=sha256
        )
    )
    for chunk in chunked(data) if isinstance(data, bytes) else data:
        yield pb.UploadLogSampleRequest(chunk=chunk)


async def manual_stream(
    request_id: uuid.UUID | str, data: bytes, *, filename: str = "TA-apache.tgz", sha256: str = ""
) -> AsyncIterator[pb.UploadTARevisionRequest]:
    yield pb.UploadTARevisionRequest(
        metadata=pb.TARevisionMetadata(
            request_id=str(request_id),
            filename=filename,
            content_type="application/gzip",
            sha256=sha256,
        )
    )
    for chunk in chunked(data):
        yield pb.UploadTARevisionRequest(chunk=chunk)


async def auto_stream(
    request_id: uuid.UUID | str, data: bytes, **metadata: object
) -> AsyncIterator[pb.CreateAutoRevisionRequest]:
    yield pb.CreateAutoRevisionRequest(
        metadata=pb.AutoRevisionMetadata(
            request_id=str(request_id),
            filename="TA-auto.tgz",
            **metadata,  # type: ignore[arg-type]
        )
    )
    for chunk in chunked(data):
        yield pb.CreateAutoRevisionRequest(chunk=chunk)


def make_tgz(files: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    """A gzip tar with these files (and symlinks name -> target); the same bytes every time
    (no timestamps), so test ids are the same in every xdist worker."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w") as archive,
    ):
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


PROPS = b"[apache:access]\nTIME_PREFIX = \\[\n\n[source::/var/log/apache]\nsourcetype = x\n"
INPUTS = b"[monitor:///var/log/apache/access.log]\nsourcetype = apache:access\n"


def ta_bundle(app: str = "TA-apache") -> bytes:
    return make_tgz(
        {
            f"{app}/default/app.conf": b"[launcher]\nversion = 1.0.0\n",
            f"{app}/default/props.conf": PROPS,
            f"{app}/default/inputs.conf": INPUTS,
        }
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
