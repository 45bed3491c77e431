"""One server interceptor: correlation id, authentication, RBAC table and error mapping."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from services.kernel.access import Access
from services.kernel.call_context import CallContext, Principal, reset_call, set_call
from services.kernel.errors import InvalidArgument, PermissionDenied, Unauthenticated
from services.kernel.handlers import WrappingInterceptor, replace_behavior
from services.kernel.status_mapping import map_exception
from services.kernel.tokens import TokenVerifier

CORRELATION_HEADER = "x-request-id"
CLIENT_IP_HEADER = "x-client-ip"
CLIENT_AGENT_HEADER = "x-client-user-agent"


def _parse_uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _peer_ip(peer: str) -> str | None:
    # "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000", "unix:..."
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rsplit(":", 1)[0]
    if kind == "ipv6":
        return rest.rsplit(":", 1)[0].strip("[]")
    return None


class CallInterceptor(WrappingInterceptor):
    def __init__(self, verifier: TokenVerifier, access_table: Mapping[str, Access]) -> None:
        super().__init__()
        self._verifier = verifier
        self._access = dict(access_table)

    def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        return _wrap(handler, lambda ctx: self._enter(ctx, method))

    def _enter(self, context: grpc.aio.ServicerContext[Any, Any], method: str) -> CallContext:
        metadata = dict(context.invocation_metadata() or ())
        principal = self._authenticate(metadata.get("authorization"))
        access = self._access.get(method)
        if access is None:
            raise PermissionDenied(f"{method} is not open to anyone")
        access.check(principal)
        agent = metadata.get(CLIENT_AGENT_HEADER) or metadata.get("user-agent")
        return CallContext(
            correlation_id=_parse_uuid(metadata.get(CORRELATION_HEADER)) or uuid.uuid4(),
            principal=principal,
            ip_address=metadata.get(CLIENT_IP_HEADER) or _peer_ip(context.peer()),
            user_agent=str(agent)[:512] if agent else None,
        )

    def _authenticate(self, authorization: object) -> Principal | None:
        if not authorization:
            return None
        scheme, _, token = str(authorization).partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("authorization must be 'Bearer <token>'")
        return self._verifier.verify(token.strip())


class Undecodable:
    """What a request deserializer yields for bytes that do not parse (truncated, invalid
    UTF-8, nested past the protobuf parser's limit): refused as INVALID_ARGUMENT once the
    caller is authenticated, instead of the UNKNOWN status grpc gives a deserializer error."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserializer(data)
        except (DecodeError, RecursionError) as exc:
            return Undecodable(str(exc))

    return parse


def _decoded(request: Any) -> Any:
    if isinstance(request, Undecodable):
        raise InvalidArgument("request", f"does not decode: {request.reason}")
    return request


async def _decoded_stream(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for request in requests:
        yield _decoded(request)


def _checked(request: Any) -> Any:
    """The request (or request stream) with undecodable messages refused as bad input."""
    return _decoded_stream(request) if hasattr(request, "__aiter__") else _decoded(request)


async def _abort(context: grpc.aio.ServicerContext[Any, Any], exc: BaseException) -> None:
    mapped = map_exception(exc)
    await context.abort(mapped.code, mapped.message, mapped.trailing_metadata())


def _wrap(
    handler: grpc.RpcMethodHandler,
    enter: Callable[[grpc.aio.ServicerContext[Any, Any]], CallContext],
) -> grpc.RpcMethodHandler:
    """The same handler, run inside the call context with errors mapped to status codes."""

    def unary(behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def run(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            token = None
            try:
                token = set_call(enter(context))
                request = _checked(request)
                return await behavior(request, context)
            except Exception as exc:
                if isinstance(exc, grpc.aio.AbortError):
                    raise
                await _abort(context, exc)
            finally:
                if token is not None:
                    reset_call(token)

        return run

    def streaming(behavior: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        async def run(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            token = None
            try:
                token = set_call(enter(context))
                request = _checked(request)
                async for item in behavior(request, context):
                    yield item
            except Exception as exc:
                if isinstance(exc, grpc.aio.AbortError):
                    raise
                await _abort(context, exc)
            finally:
                if token is not None:
                    reset_call(token)

        return run

    return replace_behavior(handler, unary, streaming, _tolerant(handler.request_deserializer))
