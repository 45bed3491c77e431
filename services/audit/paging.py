"""Keyset pagination of the trail, newest first: a page token names the last row returned
(timestamp and id), so pages stay stable while new events arrive."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.kernel.errors import InvalidArgument
from services.kernel.paging import check_page_size, open_page_token, sign_page_token

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    """The position after which the next page starts (rows older than this one)."""

    timestamp: datetime
    id: uuid.UUID

    def token(self) -> str:
        micros = (self.timestamp - _EPOCH) // timedelta(microseconds=1)
        return sign_page_token(f"k:{micros}:{self.id}")


@dataclass(frozen=True)
class KeysetPage:
    size: int
    after: Cursor | None


def parse_keyset_page(page_size: int, page_token: str) -> KeysetPage:
    """page_size 0 means the default; the token is one this service issued."""
    size = check_page_size(page_size)
    after = None
    if page_token:
        try:
            kind, micros, row_id = open_page_token(page_token).split(":")
            if kind != "k":
                raise ValueError(kind)
            after = Cursor(_EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(row_id))
        except (ValueError, OverflowError):
            raise InvalidArgument("page_token", "is not a token this service issued") from None
    return KeysetPage(size=size, after=after)
