"""The two streaming adapters, for any RPC that follows the streaming file convention.

Upload: `POST` multipart/form-data into a client-streaming RPC whose request has
`oneof data { <X>Metadata metadata; bytes chunk; }`. The first message carries the
metadata: path variables, query parameters and the form's text fields (which must come
before the file part) by field name, plus `filename` and `content_type` from the file
part (and `sha256` when the client sends it as a field). The file's bytes follow in
chunks as they arrive; nothing is buffered beyond one chunk.

Download: a server-streaming RPC whose response has `oneof data { tagen.files.v1.FileInfo
info; bytes chunk; }`. The first message's FileInfo gives Content-Type, Content-Length
(when its size is known) and Content-Disposition; the chunks are the body.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import grpc
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from services.gateway.asgi import (
    ClientGone,
    Headers,
    Receive,
    Scope,
    Send,
    body_chunks,
    send_bytes,
)
from services.gateway.descriptors import HttpBinding, download_fields, upload_fields
from services.gateway.endpoints import request_message, rpc_failure, transcode_failure
from services.gateway.errors import HttpError, bad_request, internal_error, unsupported_media_type
from services.gateway.forwarding import Incoming
from services.gateway.transcoder import (
    RequestTranscoder,
    TranscodeError,
    parse_query,
    response_json,
)

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
MAX_TEXT_FIELD_BYTES = 64 * 1024
OCTET_STREAM = "application/octet-stream"
_MEDIA_TYPE = re.compile(
    r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[\x21-\x7e]+=[\x20-\x7e]+)*$"
)
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def content_disposition(filename: str) -> bytes:
    """`attachment` with an ASCII `filename` fallback and the exact name in `filename*`
    (RFC 6266 / RFC 8187), safe against quotes, control characters and paths."""
    name = posixpath.basename(filename.replace("\\", "/")).strip() or "download"
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\%;' else "_" for c in name)
    encoded = quote(name, safe="!#$&+-.^_`|~")
    value = f'attachment; filename="{fallback}"'
    if encoded != fallback:
        value += f"; filename*=UTF-8''{encoded}"
    return value.encode("ascii")


def safe_content_type(value: str) -> str:
    return value if value and _MEDIA_TYPE.match(value) else OCTET_STREAM


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    text: bytearray = field(default_factory=bytearray)


class _FormEvents:
    """python-multipart callbacks turned into a list of (event, value) to act on."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._header_name.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": lambda: self.events.append(("headers", self._headers)),
            "on_part_data": lambda d, s, e: self.events.append(("data", bytes(d[s:e]))),
            "on_part_end": lambda: self.events.append(("end", None)),
        }

    def _begin(self) -> None:
        self._headers = {}

    def _header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def drain(self) -> list[tuple[str, Any]]:
        events, self.events = self.events, []
        return events


def _decode(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _form_name(value: bytes) -> str:
    """A field name or filename as browsers send it (WHATWG multipart/form-data escapes
    only '"', CR and LF, as %22, %0D and %0A)."""
    text = _decode(value)
    return text.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")


def _part_of(headers: dict[bytes, bytes]) -> _Part:
    kind, params = parse_options_header(headers.get(b"content-disposition", b""))
    if kind != b"form-data" or b"name" not in params:
        raise bad_request("every multipart part needs Content-Disposition: form-data; name=...")
    filename = params.get(b"filename")
    return _Part(
        headers=headers,
        name=_form_name(params[b"name"]),
        filename=None if filename is None else _form_name(filename),
    )


def _settled(coroutine: Any) -> Any:
    """The value of a coroutine that finishes without waiting (a finished call's status
    getters); None when it would wait."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    coroutine.close()
    return None


class FirstStatus:
    """The status a streaming call ended with, as the server sent it.

    When the server ends a client-streaming call while the client is still writing,
    grpc.aio replaces the server's status with INTERNAL "Internal error from Core" as the
    failed write is processed (grpc/grpc#36066). Done callbacks run once, at the first
    status, so this keeps the server's code, details and trailing metadata.
    """

    def __init__(self, call: Any) -> None:
        self.error: grpc.aio.AioRpcError | None = None
        call.add_done_callback(self._capture)

    def _capture(self, call: Any) -> None:
        code = _settled(call.code())
        if code is None or code is grpc.StatusCode.OK:
            return
        trailing = _settled(call.trailing_metadata())
        self.error = grpc.aio.AioRpcError(
            code,
            grpc.aio.Metadata(),
            trailing if trailing is not None else grpc.aio.Metadata(),
            _settled(call.details()),
        )

    def or_(self, error: grpc.aio.AioRpcError) -> grpc.aio.AioRpcError:
        """The server's error when `error` is the local stand-in for it."""
        if error.code() is grpc.StatusCode.INTERNAL and self.error is not None:
            return self.error
        return error


class UploadEndpoint:
    """multipart/form-data -> metadata message, then the file in chunks."""

    def __init__(self, binding: HttpBinding, channel: grpc.aio.Channel, timeout: float) -> None:
        self.binding = binding
        self.transcoder = RequestTranscoder(binding)
        self.timeout = timeout
        rpc = binding.rpc
        fields = upload_fields(rpc.descriptor.input_type)
        assert fields is not None
        self.metadata_field, self.chunk_field = fields[0].name, fields[1].name
        self.metadata_class = GetMessageClass(fields[0].message_type)
        self.metadata_fields = set(fields[0].message_type.fields_by_name)
        self.request_class = rpc.request_class
        self.call = channel.stream_unary(
            rpc.path,
            request_serializer=rpc.request_class.SerializeToString,
            response_deserializer=rpc.response_class.FromString,
        )

    def _boundary(self, incoming: Incoming) -> bytes:
        kind, params = parse_options_header(incoming.content_type)
        boundary = params.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise unsupported_media_type("multipart/form-data with a boundary")
        return boundary

    def metadata(
        self,
        part: _Part,
        fields: list[tuple[str, str]],
        scope: Scope,
        variables: dict[str, str],
    ) -> Message:
        metadata = self.metadata_class()
        given = {name for name, _ in fields}
        try:
            self.transcoder.fill(
                metadata, variables, [*parse_query(scope["query_string"]), *fields]
            )
        except TranscodeError as exc:
            raise transcode_failure(exc) from None
        if "filename" in self.metadata_fields and "filename" not in given:
            metadata.filename = posixpath.basename((part.filename or "").replace("\\", "/"))  # type: ignore[attr-defined]
        if "content_type" in self.metadata_fields and "content_type" not in given:
            declared = _decode(part.headers.get(b"content-type", b"")).strip()
            metadata.content_type = safe_content_type(declared)  # type: ignore[attr-defined]
        return metadata

    async def serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        incoming: Incoming,
        variables: dict[str, str],
        headers: Headers,
    ) -> None:
        relay = _FormRelay(self, scope, incoming, variables)
        try:
            await relay.run(receive, self._boundary(incoming))
            reply = await relay.finish()
        except grpc.aio.AioRpcError as exc:
            raise rpc_failure(relay.server_error(exc), self.binding, incoming) from None
        except BaseException:
            relay.cancel()
            raise
        await send_bytes(send, 200, response_json(reply), headers)


class _FormRelay:
    """Feeds one multipart body to one client-streaming call, part by part: text fields
    are kept for the metadata, the file part starts the call and streams in chunks."""

    def __init__(
        self, endpoint: UploadEndpoint, scope: Scope, incoming: Incoming, variables: dict[str, str]
    ) -> None:
        self.endpoint = endpoint
        self.scope = scope
        self.incoming = incoming
        self.variables = variables
        self.call: Any = None
        self.first_status: FirstStatus | None = None
        self.ended = False  # the backend ended the call while we were writing
        self.fields: list[tuple[str, str]] = []
        self.part: _Part | None = None
        self.text_bytes = 0
        self.buffer = bytearray()

    async def run(self, receive: Receive, boundary: bytes) -> None:
        events = _FormEvents()
        parser = MultipartParser(boundary, events.callbacks())
        try:
            async for chunk in body_chunks(receive):
                parser.write(chunk)
                for event, value in events.drain():
                    await self._on(event, value)
                    if self.ended:
                        return
            parser.finalize()
        except MultipartParseError as exc:
            raise bad_request(f"malformed multipart body: {exc}") from None
        except ClientGone:
            raise HttpError(499, "CANCELLED", "the client went away") from None
        if self.call is None:
            raise bad_request("the form has no file part", "file")

    async def _on(self, event: str, value: Any) -> None:
        if event == "headers":
            await self._part_starts(_part_of(value))
            return
        part = self.part
        if part is None:
            return
        if event == "data" and part.filename is None:
            self.text_bytes += len(value)
            if self.text_bytes > MAX_TEXT_FIELD_BYTES:
                raise bad_request("the form's text fields are too large")
            part.text.extend(value)
        elif event == "data":
            self.buffer.extend(value)
            while len(self.buffer) >= CHUNK_BYTES and not self.ended:
                piece = bytes(self.buffer[:CHUNK_BYTES])
                del self.buffer[:CHUNK_BYTES]
                await self._send_chunk(piece)
        elif event == "end":
            if part.filename is None:
                self.fields.append((part.name, _decode(bytes(part.text))))
            elif self.buffer:
                await self._send_chunk(bytes(self.buffer))
                self.buffer.clear()
            self.part = None

    async def _part_starts(self, part: _Part) -> None:
        if part.filename is None and self.call is not None:
            raise bad_request("form fields must come before the file")
        self.part = part
        if part.filename is None:
            return
        if self.call is not None:
            raise bad_request("send one file per upload")
        endpoint = self.endpoint
        metadata = endpoint.metadata(part, self.fields, self.scope, self.variables)
        self.call = endpoint.call(timeout=endpoint.timeout, metadata=self.incoming.metadata())
        self.first_status = FirstStatus(self.call)
        await self._write(endpoint.request_class(**{endpoint.metadata_field: metadata}))

    async def _send_chunk(self, data: bytes) -> None:
        endpoint = self.endpoint
        await self._write(endpoint.request_class(**{endpoint.chunk_field: data}))

    async def _write(self, message: Message) -> None:
        try:
            await self.call.write(message)
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
            self.ended = True  # the backend ended the call; its status says why

    async def finish(self) -> Message:
        """The backend's reply (or its error) once the whole form was sent."""
        if not self.ended:
            await self.call.done_writing()
        reply: Message = await self.call
        return reply

    def server_error(self, error: grpc.aio.AioRpcError) -> grpc.aio.AioRpcError:
        return self.first_status.or_(error) if self.first_status else error

    def cancel(self) -> None:
        if self.call is not None:
            self.call.cancel()


class DownloadEndpoint:
    """A server stream of FileInfo then chunks -> an HTTP file response."""

    def __init__(
        self, binding: HttpBinding, channel: grpc.aio.Channel, timeout: float, max_body: int
    ) -> None:
        self.binding = binding
        self.transcoder = RequestTranscoder(binding)
        self.timeout = timeout
        self.max_body = max_body
        rpc = binding.rpc
        fields = download_fields(rpc.descriptor.output_type)
        assert fields is not None
        self.info_field, self.chunk_field = fields[0].name, fields[1].name
        self.call = channel.unary_stream(
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
            request = await request_message(
                self.transcoder, scope, receive, incoming, variables, self.max_body
            )
        except TranscodeError as exc:
            raise transcode_failure(exc) from None
        call = self.call(request, timeout=self.timeout, metadata=incoming.metadata())
        try:
            first = await call.read()
        except grpc.aio.AioRpcError as exc:
            raise rpc_failure(exc, self.binding, incoming) from None
        if first is grpc.aio.EOF or first.WhichOneof("data") != self.info_field:
            call.cancel()
            log.error("%s: the stream did not start with the file info", self.binding.rpc.path)
            raise internal_error()
        info = getattr(first, self.info_field)
        size = info.size if info.size > 0 else None
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*self._file_headers(info, size), *headers],
            }
        )
        try:
            await self._relay(call, send, size)
        except Exception:
            # The headers are out: the response can only be cut short, never replaced.
            log.exception("%s: the download failed mid-stream", self.binding.rpc.path)
            call.cancel()

    def _file_headers(self, info: Any, size: int | None) -> Headers:
        file_headers: Headers = [
            (b"content-type", safe_content_type(info.content_type).encode()),
            (b"content-disposition", content_disposition(info.filename)),
            (b"x-content-type-options", b"nosniff"),
        ]
        if size is not None:
            file_headers.append((b"content-length", str(size).encode()))
        if _SHA256.match(info.sha256):
            digest = base64.b64encode(bytes.fromhex(info.sha256)).decode()
            file_headers.append((b"repr-digest", f"sha-256=:{digest}:".encode()))
        return file_headers

    async def _relay(self, call: Any, send: Send, size: int | None) -> None:
        """Chunks to the client; a failure after the headers cuts the response short."""
        sent = 0
        path = self.binding.rpc.path
        try:
            while True:
                message = await call.read()
                if message is grpc.aio.EOF:
                    break
                chunk = getattr(message, self.chunk_field)
                if message.WhichOneof("data") != self.chunk_field:
                    log.error("%s: a second file info in the stream", path)
                    call.cancel()
                    return
                sent += len(chunk)
                if size is not None and sent > size:
                    log.error("%s: the stream is longer than its declared size", path)
                    call.cancel()
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except grpc.aio.AioRpcError as exc:
            log.warning("%s failed mid-stream: %s %s", path, exc.code().name, exc.details())
            return
        if size is not None and sent != size:
            log.error("%s: the stream is shorter than its declared size", path)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
