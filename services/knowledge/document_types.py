"""Checks of the document type a client names, and each type's default media type."""

from __future__ import annotations

from services.kernel.errors import InvalidArgument
from services.knowledge.models import DocumentType

DEFAULT_CONTENT_TYPES: dict[DocumentType, str] = {
    DocumentType.PDF: "application/pdf",
    DocumentType.MARKDOWN: "text/markdown",
    DocumentType.TA_ARCHIVE: "application/gzip",
    DocumentType.SPLUNK_DOC: "text/plain",
}


def parse_document_type(field: str, value: str) -> DocumentType:
    try:
        return DocumentType(value.strip())
    except ValueError:
        allowed = ", ".join(t.value for t in DocumentType)
        reason = "is required" if not value.strip() else f"must be one of {allowed}"
        raise InvalidArgument(field, reason) from None


def optional_document_type(field: str, value: str) -> DocumentType | None:
    """None when empty (every type)."""
    return parse_document_type(field, value) if value.strip() else None
