"""A named log sample that can be opened (once or more) as a binary stream; shared by the TA
generator and the TA checker, each of which names the error a failed read raises."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar, Self


@dataclass(frozen=True)
class SampleSource:
    name: str
    opener: Callable[[], BinaryIO] = field(repr=False, compare=False)

    #: Raised (with the sample's name) when the sample cannot be opened.
    read_error: ClassVar[type[Exception]] = OSError

    @classmethod
    def from_path(cls, path: str | Path, name: str | None = None) -> Self:
        target = Path(path)
        return cls(name or target.name, lambda: target.open("rb"))

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Self:
        return cls(name, lambda: io.BytesIO(data))

    def open(self) -> BinaryIO:
        try:
            return self.opener()
        except OSError as exc:
            raise self.read_error(f"sample {self.name}: cannot be read: {exc}") from exc
