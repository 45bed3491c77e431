"""Page tokens of every list RPC: opaque to clients and signed, so a token that was not issued
here (forged, edited, or from another deployment) is refused as INVALID_ARGUMENT before it can
reach a query.

A token is base64url(position) "." base64url(HMAC-SHA256(key, position))[:16 bytes]. The key is
derived from the service secret every replica shares (`configure_page_key`), so a token issued
by one replica is accepted by the others; until configured, a random per-process key is used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from services.kernel.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_TOKEN_LENGTH = 512
_SIGNATURE_BYTES = 16
_NOT_OURS = "is not a token this service issued"

_key = secrets.token_bytes(32)


def configure_page_key(secret: str) -> None:
    """Derive the signing key from the shared service secret (called once at start-up)."""
    global _key
    _key = hashlib.sha256(b"tagen page token\x00" + secret.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: bytes) -> bytes:
    return hmac.new(_key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def sign_page_token(position: str) -> str:
    """The opaque token of a position (any text the list RPC needs to resume)."""
    payload = position.encode()
    return f"{_b64(payload)}.{_b64(_signature(payload))}"


def open_page_token(token: str, field: str = "page_token") -> str:
    """The position a token was issued for; InvalidArgument when it was not issued here."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidArgument(field, _NOT_OURS)
    encoded, _, signature = token.partition(".")
    try:
        payload, given = _unb64(encoded), _unb64(signature)
        if not hmac.compare_digest(given, _signature(payload)):
            raise ValueError("bad signature")
        return payload.decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidArgument(field, _NOT_OURS) from None


@dataclass(frozen=True)
class Page:
    """An offset page of a list RPC."""

    offset: int
    size: int

    def next_token(self, returned: int) -> str:
        """The token of the following page, or "" when this page was the last."""
        if returned < self.size:
            return ""
        return encode_page_token(self.offset + self.size)


def encode_page_token(offset: int) -> str:
    return sign_page_token(f"o:{offset}")


def check_page_size(page_size: int) -> int:
    """The page size to use: 0 means the default."""
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        raise InvalidArgument("page_size", f"must be between 0 and {MAX_PAGE_SIZE}")
    return page_size or DEFAULT_PAGE_SIZE


def parse_page(page_size: int, page_token: str) -> Page:
    """page_size 0 means the default; the token is the opaque one a previous page returned."""
    size = check_page_size(page_size)
    offset = 0
    if page_token:
        kind, _, number = open_page_token(page_token).partition(":")
        try:
            offset = int(number)
        except ValueError:
            raise InvalidArgument("page_token", _NOT_OURS) from None
        if kind != "o" or offset < 0:
            raise InvalidArgument("page_token", _NOT_OURS)
    return Page(offset=offset, size=size)
