"""CORS for the configured web origins (GATEWAY_CORS_ORIGINS)."""

from __future__ import annotations

from collections.abc import Iterable

from services.gateway.asgi import Headers

ALLOWED_REQUEST_HEADERS = b"authorization, content-type, x-request-id"
EXPOSED_HEADERS = b"x-request-id, content-disposition, content-length, repr-digest"
PREFLIGHT_MAX_AGE = b"600"


def parse_origins(setting: str) -> frozenset[str]:
    """`https://a.example, https://b.example` -> the set; `*` allows any origin."""
    return frozenset(o.strip().rstrip("/") for o in setting.split(",") if o.strip())


class CorsPolicy:
    def __init__(self, origins: Iterable[str]) -> None:
        self.origins = frozenset(origins)
        self.any_origin = "*" in self.origins

    def allows(self, origin: bytes | None) -> bool:
        if origin is None or not self.origins:
            return False
        return self.any_origin or origin.decode("latin-1") in self.origins

    def response_headers(self, origin: bytes | None) -> Headers:
        """Headers for an actual (non-preflight) response to `origin`."""
        if not self.allows(origin):
            return []
        assert origin is not None
        return [
            (b"access-control-allow-origin", origin),
            (b"access-control-expose-headers", EXPOSED_HEADERS),
            (b"vary", b"Origin"),
        ]

    def preflight_headers(self, origin: bytes, methods: Iterable[str]) -> Headers:
        return [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-methods", ", ".join(methods).encode()),
            (b"access-control-allow-headers", ALLOWED_REQUEST_HEADERS),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE),
            (b"vary", b"Origin"),
        ]
