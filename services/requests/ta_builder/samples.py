"""Log samples as streams, and the bounded analysis window read from them.

A sample may be far larger than memory (a 1 GB log). It is read once, sequentially, in
fixed-size blocks: the head of the file is kept whole, and a fixed number of later blocks is
kept by reservoir sampling with a fixed seed, so the same bytes always give the same window
and memory never grows beyond ``head_bytes + reservoir_blocks * block_bytes``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.kernel.sample_source import SampleSource

from .errors import BinarySampleError, EmptySampleError, SampleReadError

_RESERVOIR_SEED = 0x7A6E_5441


class Sample(SampleSource):
    """A log sample the generator analyses."""

    read_error = SampleReadError


@dataclass(frozen=True)
class WindowLimits:
    head_bytes: int = 1 << 20
    block_bytes: int = 64 << 10
    reservoir_blocks: int = 8


@dataclass(frozen=True)
class SampleWindow:
    """The bytes of a sample that are analysed: its head and a reservoir of later blocks."""

    name: str
    head: bytes
    blocks: tuple[bytes, ...]
    total_bytes: int

    @property
    def analysed_bytes(self) -> int:
        return len(self.head) + sum(len(b) for b in self.blocks)


def _trim_to_lines(block: bytes, *, drop_first: bool) -> bytes:
    """Keep only whole lines of a block cut out of the middle of a stream."""
    start = 0
    if drop_first:
        newline = block.find(b"\n")
        if newline < 0:
            return b""
        start = newline + 1
    end = block.rfind(b"\n")
    if end < start:
        return b""
    return block[start : end + 1]


def read_window(sample: Sample, limits: WindowLimits = WindowLimits()) -> SampleWindow:
    """Stream the whole sample once and keep a bounded, deterministic window of it."""
    rng = random.Random(_RESERVOIR_SEED)
    reservoir: list[tuple[int, bytes]] = []
    total = 0
    try:
        with sample.open() as stream:
            head = stream.read(limits.head_bytes)
            total = len(head)
            index = 0
            while True:
                block = stream.read(limits.block_bytes)
                if not block:
                    break
                total += len(block)
                if len(reservoir) < limits.reservoir_blocks:
                    reservoir.append((index, block))
                else:
                    slot = rng.randrange(index + 1)
                    if slot < limits.reservoir_blocks:
                        reservoir[slot] = (index, block)
                index += 1
    except OSError as exc:
        raise SampleReadError(f"sample {sample.name}: read failed: {exc}") from exc
    if total > len(head) and b"\n" in head:
        # The head was cut by the limit: drop its partial last line.
        head = head[: head.rfind(b"\n") + 1]
    blocks = tuple(
        trimmed for _, raw in sorted(reservoir) if (trimmed := _trim_to_lines(raw, drop_first=True))
    )
    return SampleWindow(sample.name, head, blocks, total)


@dataclass(frozen=True)
class DecodedWindow:
    """The analysis window as text: one segment per contiguous run of bytes."""

    name: str
    segments: tuple[str, ...]
    charset: str
    invalid_sequences: int
    total_bytes: int
    analysed_bytes: int
    warnings: tuple[str, ...] = ()


_TEXT_CONTROL = {9, 10, 11, 12, 13, 27}


def _utf16_variant(data: bytes) -> str | None:
    if data.startswith(b"\xff\xfe"):
        return "UTF-16LE"
    if data.startswith(b"\xfe\xff"):
        return "UTF-16BE"
    probe = data[:4096]
    if len(probe) < 8:
        return None
    even_zero = probe[0::2].count(0) / max(1, len(probe[0::2]))
    odd_zero = probe[1::2].count(0) / max(1, len(probe[1::2]))
    if odd_zero > 0.3 and even_zero < 0.05:
        return "UTF-16LE"
    if even_zero > 0.3 and odd_zero < 0.05:
        return "UTF-16BE"
    return None


def _binary_reason(probe: bytes) -> str | None:
    if probe.startswith(b"\x1f\x8b"):
        return "it is gzip-compressed; decompress it first"
    if probe.startswith((b"PK\x03\x04", b"7z\xbc\xaf", b"BZh", b"\xfd7zXZ")):
        return "it is a compressed archive; extract the log files first"
    if b"\x00" in probe:
        return "it contains NUL bytes"
    controls = sum(1 for byte in probe if byte < 32 and byte not in _TEXT_CONTROL)
    if probe and controls / len(probe) > 0.02:
        return f"{controls} of its first {len(probe)} bytes are control characters"
    return None


def decode_window(window: SampleWindow) -> DecodedWindow:
    """Decode the window, detecting UTF-16, binary data and invalid UTF-8."""
    if window.total_bytes == 0 or not window.head.strip():
        raise EmptySampleError(f"sample {window.name}: is empty (no log events)")
    warnings: list[str] = []
    utf16 = _utf16_variant(window.head)
    if utf16 is not None:
        codec = "utf-16-le" if utf16 == "UTF-16LE" else "utf-16-be"
        head = window.head
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            head = head[2:]
        text = head[: len(head) - len(head) % 2].decode(codec, errors="replace")
        warnings.append(
            f"sample {window.name}: UTF-16 text; only its first {len(window.head)} bytes "
            "were analysed"
        )
        return DecodedWindow(
            window.name,
            (text,),
            utf16,
            0,
            window.total_bytes,
            len(window.head),
            tuple(warnings),
        )
    reason = _binary_reason(window.head[:65536])
    if reason is not None:
        raise BinarySampleError(f"sample {window.name}: is binary data, not text logs: {reason}")
    pieces = (window.head, *window.blocks)
    invalid = 0
    bad_lines = 0
    total_lines = 0
    for piece in pieces:
        for line in piece.splitlines():
            total_lines += 1
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad_lines += 1
                invalid += sum(1 for ch in line.decode("utf-8", errors="replace") if ch == "\ufffd")
    if bad_lines and bad_lines / max(1, total_lines) > 0.01:
        charset = "ISO-8859-1"
        segments = tuple(p.decode("latin-1") for p in pieces)
        warnings.append(
            f"sample {window.name}: {bad_lines} of {total_lines} lines are not valid UTF-8; "
            "decoded as ISO-8859-1 (CHARSET set accordingly)"
        )
        invalid = 0
    else:
        charset = "UTF-8"
        segments = tuple(p.decode("utf-8", errors="replace") for p in pieces)
        if invalid:
            warnings.append(
                f"sample {window.name}: {invalid} invalid UTF-8 sequences in {bad_lines} lines "
                "were replaced with U+FFFD"
            )
    segments = tuple(s.lstrip("\ufeff") if i == 0 else s for i, s in enumerate(segments))
    return DecodedWindow(
        window.name,
        segments,
        charset,
        invalid,
        window.total_bytes,
        window.analysed_bytes,
        tuple(warnings),
    )
