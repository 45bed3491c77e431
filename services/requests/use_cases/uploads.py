"""Streaming an upload into object storage before its row exists, and undoing it when the
row cannot be written: no row ever claims an object that does not exist."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

PREVIEW_LINES = 10
PREVIEW_MAX_BYTES = 4096


def object_key(kind: str, request_id: uuid.UUID) -> str:
    """A fresh key chosen by the service, never derived from a client's file name."""
    return f"{kind}/{request_id}/{uuid.uuid4()}"


@dataclass
class PreviewTap:
    """Passes chunks through while keeping the first bytes for a preview."""

    source: AsyncIterator[bytes]
    limit: int = PREVIEW_MAX_BYTES
    head: bytes = b""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.source:
            if len(self.head) < self.limit:
                self.head += chunk[: self.limit - len(self.head)]
            yield chunk

    def preview(self, lines: int = PREVIEW_LINES) -> str:
        """The first lines as text (undecodable bytes replaced, NUL removed)."""
        kept = self.head.decode("utf-8", errors="replace").replace("\x00", "").splitlines()
        if len(self.head) >= self.limit and 1 < len(kept) <= lines:
            kept = kept[:-1]  # the last line was cut at the byte limit
        return "\n".join(kept[:lines])
