"""Keyset pagination of the trail, newest first: a page token names the last row returned
(timestamp and id), so pages stay stable while new events arrive."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.kernel.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    """The position after which the next page starts (rows older than this one)."""

    timestamp: datetime
    id: uuid.UUID

    def token(self) -> str:
        micros = (self.timestamp - _EPOCH) // timedelta(microseconds=1)
        raw = f"k:{micros}:{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class KeysetPage:
    size: int
    after: Cursor | None


def parse_keyset_page(page_size: int, page_token: str) -> KeysetPage:
    """page_size 0 means the default; the token is one this service issued."""
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        raise InvalidArgument("page_size", f"must be between 0 and {MAX_PAGE_SIZE}")
    after = None
    if page_token:
        try:
            raw = base64.urlsafe_b64decode(page_token + "=" * (-len(page_token) % 4)).decode()
            kind, micros, row_id = raw.split(":")
            if kind != "k":
                raise ValueError(kind)
            after = Cursor(_EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(row_id))
        except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
            raise InvalidArgument("page_token", "is not a token this service issued") from None
    return KeysetPage(size=page_size or DEFAULT_PAGE_SIZE, after=after)
