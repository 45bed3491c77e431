"""Splitting a document's text into bounded, slightly overlapping chunks for the index."""

from __future__ import annotations

import re

#: Longest chunk, in characters.
CHUNK_CHARS = 1200
#: How much of the end of a chunk the next one repeats (context across the cut).
OVERLAP_CHARS = 150
#: Most chunks kept per document (text beyond is not indexed).
MAX_CHUNKS = 5000
_BREAKS = ("\n\n", "\n", ". ", " ")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")


def normalize(text: str) -> str:
    """Line ends unified, control characters (NUL included) removed, runs of spaces and of
    blank lines collapsed."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _cut(text: str, start: int, end: int) -> int:
    """Where to end a chunk at or before `end`: the last paragraph, line, sentence or word
    break in the second half of the window, else `end` itself."""
    low = start + (end - start) // 2
    for separator in _BREAKS:
        found = text.rfind(separator, low, end)
        if found != -1:
            return found + len(separator)
    return end


def _next_start(text: str, start: int, end: int, overlap: int) -> int:
    """The next chunk starts `overlap` characters before `end`, at a word start."""
    begin = max(end - overlap, start + 1)
    space = text.find(" ", begin, end)
    newline = text.find("\n", begin, end)
    breaks = [i for i in (space, newline) if i != -1]
    return min(breaks) + 1 if breaks else begin


def split_into_chunks(
    text: str,
    size: int = CHUNK_CHARS,
    overlap: int = OVERLAP_CHARS,
    max_chunks: int = MAX_CHUNKS,
) -> list[str]:
    """Chunks of at most `size` characters, cut at natural breaks, each repeating up to
    `overlap` characters of the previous one; empty text gives no chunk."""
    if not 0 <= overlap < size // 2:
        raise ValueError("overlap must be smaller than half the chunk size")
    text = normalize(text)
    chunks: list[str] = []
    start = 0
    while start < len(text) and len(chunks) < max_chunks:
        end = min(start + size, len(text))
        if end < len(text):
            end = _cut(text, start, end)
        piece = text[start:end].strip()
        if piece:
            chunks.append(piece)
        if end >= len(text):
            break
        start = _next_start(text, start, end, overlap)
    return chunks
