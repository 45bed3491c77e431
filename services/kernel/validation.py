"""Input checks shared by every servicer; each failure names the field."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass

from services.kernel.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)


def parse_uuid(field: str, value: str) -> uuid.UUID:
    if not value:
        raise InvalidArgument(field, "is required")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(field, "is not a valid UUID") from None


def optional_uuid(field: str, value: str) -> uuid.UUID | None:
    return parse_uuid(field, value) if value else None


def require_text(field: str, value: str, *, max_length: int, min_length: int = 1) -> str:
    text = value.strip()
    if len(text) < min_length:
        raise InvalidArgument(
            field,
            "must not be empty" if min_length == 1 else f"must be at least {min_length} characters",
        )
    if len(text) > max_length:
        raise InvalidArgument(field, f"must be at most {max_length} characters")
    if "\x00" in text:
        raise InvalidArgument(field, "must not contain NUL characters")
    return text


def optional_text(field: str, value: str, *, max_length: int) -> str | None:
    return require_text(field, value, max_length=max_length) if value.strip() else None


def require_email(field: str, value: str) -> str:
    email = require_text(field, value, max_length=255)
    if not _EMAIL.match(email):
        raise InvalidArgument(field, "is not a valid email address")
    return email.lower()


@dataclass(frozen=True)
class Page:
    offset: int
    size: int

    def next_token(self, returned: int) -> str:
        """The token of the following page, or "" when this page was the last."""
        if returned < self.size:
            return ""
        return encode_page_token(self.offset + self.size)


def encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def parse_page(page_size: int, page_token: str) -> Page:
    """page_size 0 means the default; the token is the opaque one a previous page returned."""
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        raise InvalidArgument("page_size", f"must be between 0 and {MAX_PAGE_SIZE}")
    offset = 0
    if page_token:
        try:
            raw = base64.urlsafe_b64decode(page_token + "=" * (-len(page_token) % 4)).decode()
            kind, _, number = raw.partition(":")
            offset = int(number)
            if kind != "o" or offset < 0:
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidArgument("page_token", "is not a token this service issued") from None
    return Page(offset=offset, size=page_size or DEFAULT_PAGE_SIZE)
