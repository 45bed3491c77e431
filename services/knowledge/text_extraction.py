"""Text of a knowledge document by its type, read from a blocking reader (run it in a worker
thread): markdown, splunk_doc and plain text as UTF-8; the .conf, README and .md files of a
TA archive (.tgz, read as a stream: nothing is written to disk, sizes are capped); PDFs with
pypdf. A document without extractable text raises ExtractionFailed with the reason."""

from __future__ import annotations

import codecs
import gzip
import io
import logging
import posixpath
import tarfile
import zlib
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from pypdf import PdfReader

from services.kernel.errors import DomainError
from services.kernel.storage import StorageUnavailable
from services.knowledge.models import DocumentType

#: Most text kept from one document (characters); the rest is not indexed.
MAX_TEXT_CHARS = 4_000_000
#: Most bytes of a text document read.
MAX_TEXT_BYTES = 8 * 1024 * 1024
#: TA archives: entries looked at, bytes of one file read, bytes unpacked in all.
MAX_ARCHIVE_MEMBERS = 20_000
MAX_ARCHIVE_FILE_BYTES = 1024 * 1024
MAX_ARCHIVE_UNPACKED_BYTES = 512 * 1024 * 1024
#: PDFs: pages read.
MAX_PDF_PAGES = 2000
_BINARY_PROBE = 8192

logging.getLogger("pypdf").setLevel(logging.ERROR)


class ExtractionFailed(Exception):
    """No text can be had from the document; `reason` says why (kept in its metadata)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ExtractedText:
    text: str
    truncated: bool = False
    details: dict[str, Any] = field(default_factory=dict)


class GuardedReader(io.RawIOBase):
    """A storage reader whose read errors mean 'storage unavailable' (retry later), never
    'this document has no text'."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self.raw.read(size)
        except DomainError:
            raise
        except Exception as exc:
            raise StorageUnavailable(f"reading the document failed: {exc}") from exc

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            super().close()


def extract_text(document_type: str, reader: BinaryIO, max_bytes: int) -> ExtractedText:
    """The text of a document of `document_type` read from `reader` (at most `max_bytes`)."""
    if document_type == DocumentType.PDF:
        extracted = _pdf_text(reader, max_bytes)
    elif document_type == DocumentType.TA_ARCHIVE:
        extracted = _archive_text(reader)
    else:
        extracted = _plain_text(reader)
    if len(extracted.text) > MAX_TEXT_CHARS:
        extracted.text, extracted.truncated = extracted.text[:MAX_TEXT_CHARS], True
    if not extracted.text.strip():
        raise ExtractionFailed(extracted.details.get("empty_reason", "no text could be extracted"))
    extracted.details.pop("empty_reason", None)
    return extracted


def decode_text(data: bytes, *, complete: bool) -> str:
    """UTF-8 (a BOM is dropped; bytes that are not UTF-8 become U+FFFD); `complete` False
    when `data` was cut, so a character split at the cut is dropped, not replaced."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    return decoder.decode(data, final=complete)


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:_BINARY_PROBE]


def _plain_text(reader: BinaryIO) -> ExtractedText:
    data = reader.read(MAX_TEXT_BYTES + 1)
    truncated = len(data) > MAX_TEXT_BYTES
    data = data[:MAX_TEXT_BYTES]
    if _looks_binary(data):
        raise ExtractionFailed("the document is binary, not text")
    return ExtractedText(decode_text(data, complete=not truncated), truncated)


def _pdf_text(reader: BinaryIO, max_bytes: int) -> ExtractedText:
    data = reader.read(max_bytes + 1)[:max_bytes]
    try:
        pdf = PdfReader(io.BytesIO(data))
        if pdf.is_encrypted and not pdf.decrypt(""):
            raise ExtractionFailed("the PDF is encrypted")
        pages = []
        for number, page in enumerate(pdf.pages):
            if number >= MAX_PDF_PAGES:
                break
            pages.append(page.extract_text() or "")
        total = len(pdf.pages)
    except ExtractionFailed:
        raise
    except Exception as exc:  # pypdf parses untrusted input: any failure means "unreadable"
        raise ExtractionFailed(f"the PDF cannot be read ({type(exc).__name__}: {exc})") from None
    extracted = ExtractedText("\n\n".join(pages), total > MAX_PDF_PAGES, {"pages": total})
    extracted.details["empty_reason"] = "the PDF has no text layer (scanned images?)"
    return extracted


def wanted_archive_file(name: str) -> bool:
    """.conf and .md files, and README files (or files in a README directory)."""
    lowered = name.lower()
    base = posixpath.basename(lowered)
    parts = lowered.split("/")[:-1]
    return (
        base.endswith((".conf", ".md"))
        or base.startswith("readme")
        or any(part == "readme" for part in parts)
    )


def _relative(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def _archive_text(reader: BinaryIO) -> ExtractedText:
    sections: list[str] = []
    files: list[str] = []
    skipped: list[str] = []
    unpacked = 0
    length = 0
    truncated = False
    try:
        with tarfile.open(fileobj=reader, mode="r|gz") as archive:
            for count, member in enumerate(archive, start=1):
                unpacked += max(member.size, 0)
                if count > MAX_ARCHIVE_MEMBERS or unpacked > MAX_ARCHIVE_UNPACKED_BYTES:
                    truncated = True
                    break
                name = _relative(member.name)
                if not member.isfile() or not wanted_archive_file(name):
                    continue
                if member.size > MAX_ARCHIVE_FILE_BYTES:
                    skipped.append(name)
                    continue
                handle = archive.extractfile(member)
                data = handle.read() if handle is not None else b""
                if _looks_binary(data):
                    skipped.append(name)
                    continue
                text = decode_text(data, complete=True).strip()
                if not text:
                    continue
                files.append(name)
                sections.append(f"{name}\n\n{text}")
                length += len(text)
                if length > MAX_TEXT_CHARS:
                    truncated = True
                    break
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ExtractionFailed(f"not a gzip-compressed tar archive ({exc})") from None
    details: dict[str, Any] = {"files": files[:200], "file_count": len(files)}
    if skipped:
        details["skipped_files"] = skipped[:200]
    details["empty_reason"] = "the archive has no .conf, README or .md file with text"
    return ExtractedText("\n\n".join(sections), truncated, details)
