"""Server interceptors that wrap each method's handler in a new behaviour: the handler of a
method is rebuilt once (a server's handlers do not change once it serves), not on each call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

#: Infrastructure services every server carries; they need no token and are not observed.
OPEN_SERVICES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)

UnaryWrapper = Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]
StreamWrapper = Callable[[Callable[..., AsyncIterator[Any]]], Callable[..., AsyncIterator[Any]]]


def replace_behavior(
    handler: grpc.RpcMethodHandler,
    unary: UnaryWrapper,
    streaming: StreamWrapper,
    deserializer: Callable[[bytes], Any] | None = None,
) -> grpc.RpcMethodHandler:
    """The same handler (kind and response serializer) whose behaviour is wrapped: `unary` for
    calls answered with one message, `streaming` for calls answered with a stream; requests are
    parsed by `deserializer` when given, else by the handler's own."""
    parse = deserializer or handler.request_deserializer
    reply = handler.response_serializer
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(unary(handler.unary_unary), parse, reply)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(unary(handler.stream_unary), parse, reply)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(streaming(handler.unary_stream), parse, reply)
    return grpc.stream_stream_rpc_method_handler(streaming(handler.stream_stream), parse, reply)


class WrappingInterceptor(grpc.aio.ServerInterceptor):
    """Runs `wrap(handler, method)` once per method of the application's services (the
    infrastructure services pass through untouched) and serves the wrapped handler."""

    def __init__(self) -> None:
        #: method -> (the server's handler, the handler to run)
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        raise NotImplementedError

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method: str = details.method  # type: ignore[attr-defined]
        handler = await continuation(details)
        if handler is None or method.startswith(OPEN_SERVICES):
            return handler
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self.wrap(handler, method)
        self._wrapped[method] = (handler, wrapped)
        return wrapped


class ChainedInterceptor(WrappingInterceptor):
    """Wrapping interceptors run as one: grpc calls one `intercept_service` per call (each
    interceptor more would cost a coroutine round trip on every call), and each method's
    handler is wrapped by every layer once; the first layer is the outermost."""

    def __init__(self, *layers: WrappingInterceptor) -> None:
        super().__init__()
        self.layers = layers

    def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        for layer in reversed(self.layers):
            handler = layer.wrap(handler, method)
        return handler
