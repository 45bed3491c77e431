"""A stored file ready to stream to a client (the download half of the file convention)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from services.kernel.storage import ObjectStorage


@dataclass(frozen=True)
class Download:
    """A file ready to stream: its description and its chunks."""

    filename: str
    content_type: str
    size: int
    sha256: str
    chunks: AsyncIterator[bytes]


async def opened(storage: ObjectStorage, key: str, bucket: str) -> AsyncIterator[bytes]:
    """The object's chunks, its first chunk already read: a missing object or unreachable
    storage raises here, before the caller sends the file info."""
    chunks = storage.get(key, bucket=bucket)
    try:
        first = await anext(chunks, b"")
    except BaseException:
        await chunks.aclose()  # type: ignore[attr-defined]
        raise

    async def content() -> AsyncIterator[bytes]:
        try:
            if first:
                yield first
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]

    return content()
