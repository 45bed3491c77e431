"""Errors as HTTP responses: the canonical gRPC-to-HTTP status mapping and one JSON body.

Every error, from a backend or from the gateway itself, is

    {"code": "NOT_FOUND", "message": "user ... not found", "details": [...]}

`code` is the gRPC status *name* (readable, stable, the same names the services use);
the HTTP status carries the number. `details` are the backend's rich error details
(`grpc-status-details-bin`, a google.rpc.Status) in the protobuf JSON mapping with their
`@type`, e.g. a google.rpc.BadRequest with `field_violations`; an empty list otherwise.

Gateway-level errors use the same body: malformed JSON or a path variable that does not
parse 400 INVALID_ARGUMENT, unknown path 404 NOT_FOUND, wrong method 405 UNIMPLEMENTED,
body over the limit 413 RESOURCE_EXHAUSTED, unsupported media type 415 INVALID_ARGUMENT.
"""

from __future__ import annotations

import base64
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import any_pb2, json_format
from google.rpc import error_details_pb2, status_pb2

from services.gateway.transcoder import encode_json

log = logging.getLogger(__name__)

#: gRPC status -> HTTP status (google.rpc.Code's documented mapping, as grpc-gateway uses).
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}

STATUS_DETAILS_KEY = "grpc-status-details-bin"
#: Messages from gRPC's own transport (they name internal addresses; not shown to clients).
_TRANSPORT_MARKERS = ("ipv4:", "ipv6:", "unix:", "dns:", "failed to connect", "Socket closed")


@dataclass
class HttpError(Exception):
    """An error response: HTTP status, gRPC code name, message and JSON details."""

    status: int
    code: str
    message: str
    details: list[Any] = field(default_factory=list)
    headers: tuple[tuple[bytes, bytes], ...] = ()

    def body(self) -> bytes:
        return encode_json({"code": self.code, "message": self.message, "details": self.details})


def bad_request(message: str, field_name: str = "") -> HttpError:
    details: list[Any] = []
    if field_name:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "field_violations": [{"field": field_name, "description": message}],
            }
        )
    return HttpError(400, "INVALID_ARGUMENT", message, details)


def not_found(path: str) -> HttpError:
    return HttpError(404, "NOT_FOUND", f"no route for {path}")


def method_not_allowed(method: str, allowed: tuple[str, ...]) -> HttpError:
    return HttpError(
        405,
        "UNIMPLEMENTED",
        f"method {method} is not allowed here; allowed: {', '.join(allowed)}",
        headers=((b"allow", ", ".join(allowed).encode()),),
    )


def payload_too_large(limit: int) -> HttpError:
    return HttpError(413, "RESOURCE_EXHAUSTED", f"the body is larger than {limit} bytes")


def headers_too_large() -> HttpError:
    return HttpError(
        431, "INVALID_ARGUMENT", "request headers (or the Authorization header) too large"
    )


def unsupported_media_type(expected: str) -> HttpError:
    return HttpError(415, "INVALID_ARGUMENT", f"the body must be {expected}")


def internal_error() -> HttpError:
    return HttpError(500, "INTERNAL", "internal error")


def unauthenticated(message: str, token_sent: bool) -> HttpError:
    return HttpError(401, "UNAUTHENTICATED", message, headers=(_www_authenticate(token_sent),))


def _www_authenticate(token_sent: bool) -> tuple[bytes, bytes]:
    # RFC 6750 section 3: error="invalid_token" only when a token was presented.
    value = 'Bearer realm="tagen", error="invalid_token"' if token_sent else 'Bearer realm="tagen"'
    return (b"www-authenticate", value.encode())


def _detail_json(detail: any_pb2.Any) -> Any:
    try:
        return json_format.MessageToDict(
            detail, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    except (TypeError, KeyError, json_format.Error):
        # A detail type this gateway does not know: its bytes, still with its type.
        return {"@type": detail.type_url, "value": base64.b64encode(detail.value).decode()}


def rich_details(metadata: Any) -> list[Any]:
    """The details of a google.rpc.Status sent as `grpc-status-details-bin`."""
    for key, value in metadata or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            try:
                status = status_pb2.Status.FromString(value)
            except Exception:
                log.warning("undecodable %s from a backend", STATUS_DETAILS_KEY)
                return []
            return [_detail_json(d) for d in status.details]
    return []


def from_rpc_error(error: grpc.aio.AioRpcError, context: str, token_sent: bool) -> HttpError:
    """The HTTP error for a failed backend call."""
    code = error.code()
    message = error.details() or code.name
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) and any(
        marker in message for marker in _TRANSPORT_MARKERS
    ):
        message = f"the {context} service is unavailable"
    status = HTTP_STATUS.get(code, 500)
    details = rich_details(error.trailing_metadata())
    headers: tuple[tuple[bytes, bytes], ...] = ()
    if code is grpc.StatusCode.UNAUTHENTICATED:
        headers = (_www_authenticate(token_sent),)
    retry_after = _retry_after(details)
    if retry_after is not None:
        headers = ((b"retry-after", str(retry_after).encode()),)
    return HttpError(status, code.name, message, details, headers)


def _retry_after(details: list[Any]) -> int | None:
    """Whole seconds of a google.rpc.RetryInfo detail (its JSON form: "retry_delay": "3s")."""
    for detail in details:
        if isinstance(detail, dict) and detail.get("@type", "").endswith("google.rpc.RetryInfo"):
            delay = str(detail.get("retry_delay", "0s")).rstrip("s") or "0"
            try:
                return max(1, math.ceil(float(delay)))
            except ValueError:
                return None
    return None


#: Referenced so that their types are in the default pool when details are printed.
KNOWN_DETAIL_TYPES = (
    error_details_pb2.BadRequest,
    error_details_pb2.ErrorInfo,
    error_details_pb2.RetryInfo,
)
