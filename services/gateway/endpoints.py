"""Serving one binding: the unary JSON endpoint (the streaming ones are in streaming.py)."""

from __future__ import annotations

from typing import Any, Protocol

import grpc
from google.protobuf.message import Message

from services.gateway.asgi import Headers, Receive, Scope, Send, read_body, require_json, send_bytes
from services.gateway.descriptors import HttpBinding
from services.gateway.errors import HttpError, bad_request, from_rpc_error
from services.gateway.forwarding import Incoming
from services.gateway.transcoder import (
    RequestTranscoder,
    TranscodeError,
    decode_json_body,
    response_json,
)


class Endpoint(Protocol):
    binding: HttpBinding

    async def serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        incoming: Incoming,
        variables: dict[str, str],
        headers: Headers,
    ) -> None:
        """Answer the request; raise HttpError before anything was sent."""


def rpc_failure(error: grpc.aio.AioRpcError, binding: HttpBinding, incoming: Incoming) -> HttpError:
    return from_rpc_error(error, binding.rpc.context, incoming.authorization is not None)


def transcode_failure(error: TranscodeError) -> HttpError:
    return bad_request(str(error), error.field)


async def request_message(
    transcoder: RequestTranscoder,
    scope: Scope,
    receive: Receive,
    incoming: Incoming,
    variables: dict[str, str],
    max_body: int,
) -> Message:
    """The request message of a non-upload binding: body (when the rule has one), path
    variables and query parameters."""
    body: Any = None
    if transcoder.body:
        raw = await read_body(receive, max_body, incoming.content_length)
        if raw.strip():
            require_json(incoming.content_type)
            body = decode_json_body(raw)
    return transcoder.build(variables, scope["query_string"], body)


class UnaryEndpoint:
    """JSON in, one unary call with a deadline, JSON out."""

    def __init__(
        self, binding: HttpBinding, channel: grpc.aio.Channel, timeout: float, max_body: int
    ) -> None:
        self.binding = binding
        self.transcoder = RequestTranscoder(binding)
        self.timeout = timeout
        self.max_body = max_body
        rpc = binding.rpc
        self.call = channel.unary_unary(
            rpc.path,
            request_serializer=rpc.request_class.SerializeToString,
            response_deserializer=rpc.response_class.FromString,
        )

    async def serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        incoming: Incoming,
        variables: dict[str, str],
        headers: Headers,
    ) -> None:
        try:
            message = await request_message(
                self.transcoder, scope, receive, incoming, variables, self.max_body
            )
        except TranscodeError as exc:
            raise transcode_failure(exc) from None
        try:
            reply = await self.call(message, timeout=self.timeout, metadata=incoming.metadata())
        except grpc.aio.AioRpcError as exc:
            raise rpc_failure(exc, self.binding, incoming) from None
        await send_bytes(send, 200, response_json(reply, self.binding.response_body), headers)
