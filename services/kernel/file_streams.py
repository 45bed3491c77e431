"""The streaming file convention shared by services and the gateway.

Upload: a client stream of messages with `oneof data { <X>Metadata metadata = 1;
bytes chunk = 2; }` - the metadata first, then the chunks.
Download: a server stream with `oneof data { tagen.files.v1.FileInfo info = 1;
bytes chunk = 2; }` - the file info first, then the chunks.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from services.kernel.errors import InvalidArgument
from services.kernel.storage.base import ObjectStorage

_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_CONTENT_TYPE = re.compile(rf"^{_TOKEN}/{_TOKEN}$")
_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f]")
MAX_FILENAME_LENGTH = 255


async def split_upload(messages: AsyncIterable[Any]) -> tuple[Any, AsyncIterator[bytes]]:
    """The metadata of an upload stream and an iterator over its (non-empty) chunks."""
    stream = aiter(messages)
    first = await anext(stream, None)
    if first is None or first.WhichOneof("data") != "metadata":
        raise InvalidArgument("metadata", "the first message of an upload must carry the metadata")

    async def chunks() -> AsyncIterator[bytes]:
        async for message in stream:
            kind = message.WhichOneof("data")
            if kind == "metadata":
                raise InvalidArgument("metadata", "only the first message may carry metadata")
            if kind == "chunk" and message.chunk:
                yield message.chunk

    return first.metadata, chunks()


async def require_data(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The same chunks, after checking that there is at least one byte (else 'chunk')."""
    first = await anext(chunks, None)
    if first is None:
        raise InvalidArgument("chunk", "the upload has no data")

    async def again() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return again()


def clean_filename(field: str, value: str) -> str:
    """A client's file name reduced to a name: its last path component (either slash),
    control characters removed, at most 255 characters. Never use it as a path."""
    name = _UNSAFE_NAME_CHARS.sub("", value.replace("\\", "/")).split("/")[-1].strip()
    if name in ("", ".", ".."):
        raise InvalidArgument(field, "must name a file")
    if len(name) > MAX_FILENAME_LENGTH:
        _, dot, suffix = name.rpartition(".")
        if dot and len(suffix) <= 16:
            name = name[: MAX_FILENAME_LENGTH - len(suffix) - 1] + "." + suffix
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name


def check_content_type(field: str, value: str, default: str) -> str:
    """A `type/subtype` media type (parameters dropped), or `default` when empty."""
    media = value.split(";", 1)[0].strip().lower()
    if not media:
        return default
    if not _CONTENT_TYPE.match(media):
        raise InvalidArgument(field, "must be a media type such as text/plain")
    return media


async def opened(storage: ObjectStorage, key: str, bucket: str | None) -> AsyncIterator[bytes]:
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
