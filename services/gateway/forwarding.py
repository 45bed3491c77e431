"""What the gateway reads from an HTTP request's headers and forwards as gRPC metadata:
the bearer token, the correlation id (x-request-id), the client IP and user agent, and the
W3C traceparent of the request's span."""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass

from services.gateway.asgi import Scope
from services.kernel.interceptor import CLIENT_AGENT_HEADER, CLIENT_IP_HEADER, CORRELATION_HEADER
from services.kernel.tracing import inject

_UUID = re.compile(
    rb"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_PRINTABLE = re.compile(rb"^[\x20-\x7e]*$")
_NOT_PRINTABLE = re.compile(rb"[^\x20-\x7e]")
MAX_AGENT_LENGTH = 512
#: Largest Authorization header forwarded (an access token is well under 1 KiB; gRPC refuses
#: metadata above 8 KiB in all), and largest sum of all header lines: above either, 431.
MAX_AUTHORIZATION_BYTES = 4096
MAX_HEADER_BYTES = 32768


@dataclass(slots=True)
class Incoming:
    """The parts of an HTTP request the gateway uses besides method, path and body."""

    request_id: bytes
    authorization: str | None
    authorization_malformed: bool
    content_type: bytes
    content_length: int | None
    origin: bytes | None
    preflight_method: bytes | None
    client_ip: str | None
    user_agent: str | None
    headers_too_large: bool = False

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """gRPC metadata for the backend call."""
        pairs = [(CORRELATION_HEADER, self.request_id.decode())]
        if self.authorization is not None:
            pairs.append(("authorization", self.authorization))
        if self.client_ip:
            pairs.append((CLIENT_IP_HEADER, self.client_ip))
        if self.user_agent:
            pairs.append((CLIENT_AGENT_HEADER, self.user_agent))
        return inject(pairs)


def _client_ip(scope: Scope, forwarded_for: bytes | None, trust_proxy: bool) -> str | None:
    if trust_proxy and forwarded_for:
        # The nearest (trusted) proxy appended the address it saw: the last entry.
        candidate = forwarded_for.split(b",")[-1].strip().decode("latin-1")
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    client = scope.get("client")
    return str(client[0]) if client else None


def _content_length(value: bytes | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    return int(value)


def read_incoming(scope: Scope, trust_proxy: bool) -> Incoming:
    request_id = authorization = agent = forwarded = origin = preflight = length = None
    content_type = b""
    total = 0
    for name, value in scope["headers"]:
        total += len(name) + len(value) + 4
        if name == b"authorization":
            authorization = value
        elif name == b"x-request-id":
            request_id = value
        elif name == b"user-agent":
            agent = value
        elif name == b"content-type":
            content_type = value
        elif name == b"content-length":
            length = value
        elif name == b"x-forwarded-for":
            forwarded = value if forwarded is None else forwarded + b"," + value
        elif name == b"origin":
            origin = value
        elif name == b"access-control-request-method":
            preflight = value
    if request_id is None or not _UUID.match(request_id):
        request_id = str(uuid.uuid4()).encode()
    too_large = total > MAX_HEADER_BYTES or (
        authorization is not None and len(authorization) > MAX_AUTHORIZATION_BYTES
    )
    if too_large:
        authorization = None
    malformed = authorization is not None and not _PRINTABLE.match(authorization)
    if agent is not None:
        agent = _NOT_PRINTABLE.sub(b"?", agent[:MAX_AGENT_LENGTH])
    return Incoming(
        request_id=request_id,
        authorization=None if authorization is None or malformed else authorization.decode(),
        authorization_malformed=malformed,
        content_type=content_type,
        content_length=_content_length(length),
        origin=origin,
        preflight_method=preflight,
        client_ip=_client_ip(scope, forwarded, trust_proxy),
        user_agent=agent.decode() if agent else None,
        headers_too_large=too_large,
    )
