"""A stored file ready to stream to a client (the download half of the file convention)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from services.kernel.file_streams import opened

__all__ = ["Download", "opened"]


@dataclass(frozen=True)
class Download:
    """A file ready to stream: its description and its chunks."""

    filename: str
    content_type: str
    size: int
    sha256: str
    chunks: AsyncIterator[bytes]
