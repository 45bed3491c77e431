"""The little ASGI plumbing the gateway needs: read a bounded body, send a response."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from services.gateway.errors import HttpError, payload_too_large, unsupported_media_type

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON_TYPE = b"application/json"


class ClientGone(Exception):
    """The client disconnected before the request body was read."""


async def body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The request body as it arrives."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def read_body(receive: Receive, limit: int, content_length: int | None) -> bytes:
    """The whole body, at most `limit` bytes (else 413)."""
    if content_length is not None and content_length > limit:
        raise payload_too_large(limit)
    parts: list[bytes] = []
    size = 0
    async for chunk in body_chunks(receive):
        size += len(chunk)
        if size > limit:
            raise payload_too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def media_type(content_type: bytes) -> bytes:
    return content_type.split(b";", 1)[0].strip().lower()


def require_json(content_type: bytes) -> None:
    kind = media_type(content_type)
    if kind != JSON_TYPE and not (kind.startswith(b"application/") and kind.endswith(b"+json")):
        raise unsupported_media_type("application/json")


async def send_bytes(
    send: Send, status: int, body: bytes, headers: Headers, content_type: bytes = JSON_TYPE
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, error: HttpError, headers: Headers) -> None:
    await send_bytes(send, error.status, error.body(), [*headers, *error.headers])
