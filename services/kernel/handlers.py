"""Rebuilding a gRPC method handler around a new behaviour, for server interceptors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

UnaryWrapper = Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]
StreamWrapper = Callable[[Callable[..., AsyncIterator[Any]]], Callable[..., AsyncIterator[Any]]]


def replace_behavior(
    handler: grpc.RpcMethodHandler, unary: UnaryWrapper, streaming: StreamWrapper
) -> grpc.RpcMethodHandler:
    """The same handler (kind and serializers) whose behaviour is wrapped: `unary` for calls
    answered with one message, `streaming` for calls answered with a stream."""
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            unary(handler.unary_unary), handler.request_deserializer, handler.response_serializer
        )
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            unary(handler.stream_unary), handler.request_deserializer, handler.response_serializer
        )
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            streaming(handler.unary_stream),
            handler.request_deserializer,
            handler.response_serializer,
        )
    return grpc.stream_stream_rpc_method_handler(
        streaming(handler.stream_stream), handler.request_deserializer, handler.response_serializer
    )
