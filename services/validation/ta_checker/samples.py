"""Log samples handed to the checker, read as streams (they may be large)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .errors import SampleReadError


@dataclass(frozen=True)
class LogSample:
    name: str
    opener: Callable[[], BinaryIO] = field(repr=False, compare=False)

    @classmethod
    def from_path(cls, path: str | Path, name: str | None = None) -> LogSample:
        target = Path(path)
        return cls(name or target.name, lambda: target.open("rb"))

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> LogSample:
        return cls(name, lambda: io.BytesIO(data))

    def open(self) -> BinaryIO:
        try:
            return self.opener()
        except OSError as exc:
            raise SampleReadError(f"sample {self.name}: cannot be read: {exc}") from exc
