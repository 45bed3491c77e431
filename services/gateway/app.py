"""The HTTP gateway: a lean ASGI app on uvicorn that serves every annotated RPC of every
generated `tagen.*.v*` module, plus `/openapi.json`, `/livez` (the process answers),
`/readyz` (the backends serve; `/healthz` is its alias) and `/metrics` (Prometheus)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import importlib.util
import logging
import socket
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import quote

import uvicorn

from services.gateway.asgi import (
    ClientGone,
    Headers,
    Receive,
    Scope,
    Send,
    send_bytes,
    send_error,
)
from services.gateway.backends import Backends, backend_addresses
from services.gateway.cors import CorsPolicy, parse_origins
from services.gateway.descriptors import HttpBinding, RpcKind, discover_modules, load_bindings
from services.gateway.endpoints import Endpoint, UnaryEndpoint
from services.gateway.errors import (
    HttpError,
    bad_request,
    headers_too_large,
    internal_error,
    method_not_allowed,
    not_found,
    unauthenticated,
)
from services.gateway.forwarding import Incoming, read_incoming
from services.gateway.observability import ROUTE_KEY, ObservedApp, bind_request
from services.gateway.openapi import OpenApiBuilder
from services.gateway.routes import MethodNotAllowed, RouteTable
from services.gateway.static import StaticSite
from services.gateway.streaming import DownloadEndpoint, UploadEndpoint
from services.gateway.transcoder import encode_json
from services.kernel.metrics import render_latest
from services.kernel.runtime import Runtime
from services.kernel.settings import Settings

log = logging.getLogger(__name__)

OPENAPI_PATH = "/openapi.json"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
LIVE_PATH = "/livez"
METRICS_PATH = "/metrics"
_FIXED_PATHS = (OPENAPI_PATH, HEALTH_PATH, READY_PATH, LIVE_PATH, METRICS_PATH)


@dataclass(frozen=True)
class GatewayConfig:
    backend_timeout: float
    stream_timeout: float
    max_body_bytes: int
    trust_proxy: bool
    cors_origins: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> GatewayConfig:
        return cls(
            backend_timeout=settings.gateway_backend_timeout_seconds,
            stream_timeout=settings.gateway_stream_timeout_seconds,
            max_body_bytes=settings.gateway_max_body_bytes,
            trust_proxy=settings.gateway_trust_proxy,
            cors_origins=parse_origins(settings.gateway_cors_origins),
        )


def _version() -> str:
    try:
        return importlib.metadata.version("tagen")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def openapi_document(bindings: Sequence[HttpBinding] | None = None) -> dict[str, Any]:
    """The OpenAPI document of these bindings (by default every discovered annotated RPC):
    what `/openapi.json` serves and what the web console's API types are generated from."""
    if bindings is None:
        bindings = load_bindings(discover_modules())
    return OpenApiBuilder("tagen gateway", _version()).build(bindings)


class Gateway:
    """The ASGI application."""

    def __init__(
        self,
        bindings: Sequence[HttpBinding],
        backends: Backends,
        config: GatewayConfig,
        site: StaticSite | None = None,
    ) -> None:
        self.config = config
        self.site = site or StaticSite()
        self.backends = backends
        self.cors = CorsPolicy(config.cors_origins)
        self.table = RouteTable(bindings)
        self.endpoints: dict[int, Endpoint] = {id(b): self._endpoint(b) for b in bindings}
        self.openapi = encode_json(openapi_document(bindings))

    def _endpoint(self, binding: HttpBinding) -> Endpoint:
        channel = self.backends.channels[binding.rpc.context]
        config = self.config
        if binding.rpc.kind is RpcKind.UPLOAD:
            return UploadEndpoint(binding, channel, config.stream_timeout)
        if binding.rpc.kind is RpcKind.DOWNLOAD:
            return DownloadEndpoint(binding, channel, config.stream_timeout, config.max_body_bytes)
        return UnaryEndpoint(binding, channel, config.backend_timeout, config.max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await _lifespan(receive, send)
            return
        incoming = read_incoming(scope, self.config.trust_proxy)
        bind_request(incoming)
        headers: Headers = [
            (b"x-request-id", incoming.request_id),
            (b"cache-control", b"no-store"),
            *self.cors.response_headers(incoming.origin),
        ]
        try:
            await self._dispatch(scope, receive, send, incoming, headers)
        except HttpError as error:
            await send_error(send, error, headers)
        except ClientGone:
            return  # nobody to answer
        except Exception:
            log.exception("gateway error on %s %s", scope["method"], scope["path"])
            await send_error(send, internal_error(), headers)

    async def _dispatch(
        self, scope: Scope, receive: Receive, send: Send, incoming: Incoming, headers: Headers
    ) -> None:
        if incoming.headers_too_large:
            raise headers_too_large()
        method: str = scope["method"]
        raw_path: bytes | None = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else quote(scope["path"])
        if incoming.preflight_method is not None and method == "OPTIONS":
            await self._preflight(send, incoming, path)
            return
        if path in _FIXED_PATHS:
            scope[ROUTE_KEY] = path
            await self._fixed(path, method, send, headers)
            return
        try:
            found = self.table.match(method, path)
        except UnicodeDecodeError:
            raise bad_request("a path variable is not valid percent-encoded UTF-8") from None
        if found is None:
            if self.site.claims(method, path) and await self.site.serve(
                method, path, dict(scope["headers"]), send, headers
            ):
                return
            raise not_found(path)
        if isinstance(found, MethodNotAllowed):
            raise method_not_allowed(method, found.allowed)
        if incoming.authorization_malformed:
            raise unauthenticated("the Authorization header is malformed", token_sent=True)
        scope[ROUTE_KEY] = found.binding.operation_id
        endpoint = self.endpoints[id(found.binding)]
        await endpoint.serve(scope, receive, send, incoming, found.variables, headers)

    async def _fixed(self, path: str, method: str, send: Send, headers: Headers) -> None:
        if method != "GET":
            raise method_not_allowed(method, ("GET",))
        if path == OPENAPI_PATH:
            await send_bytes(send, 200, self.openapi, headers)
            return
        if path == LIVE_PATH:
            await send_bytes(send, 200, b'{"status":"SERVING"}', headers)
            return
        if path == METRICS_PATH:
            body, content_type = render_latest()
            await send_bytes(send, 200, body, headers, content_type.encode())
            return
        await self._readiness(send, headers)

    async def _readiness(self, send: Send, headers: Headers) -> None:
        """200 SERVING when every backend serves; 200 DEGRADED when some do (the routes of
        the others answer 503 by themselves, and taking every gateway replica out of the
        load balancer would only make the rest unreachable too); 503 NOT_SERVING when none
        does (or the gateway has no backend)."""
        backends = await self.backends.health()
        serving = [status == "SERVING" for status in backends.values()]
        if serving and all(serving):
            status, code = "SERVING", 200
        elif any(serving):
            status, code = "DEGRADED", 200
        else:
            status, code = "NOT_SERVING", 503
        body = {"status": status, "backends": backends}
        await send_bytes(send, code, encode_json(body), headers)

    async def _preflight(self, send: Send, incoming: Incoming, path: str) -> None:
        request_id: Headers = [(b"x-request-id", incoming.request_id)]
        if not self.cors.allows(incoming.origin):
            error = HttpError(403, "PERMISSION_DENIED", "this origin is not allowed")
            await send_error(send, error, request_id)
            return
        assert incoming.origin is not None
        methods = ("GET",) if path in _FIXED_PATHS else self.table.methods_for(path)
        if not methods:
            await send_error(send, not_found(path), request_id)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [*request_id, *self.cors.preflight_headers(incoming.origin, methods)],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def close(self) -> None:
        await self.backends.close()


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def build_gateway(
    settings: Settings,
    *,
    addresses: Mapping[str, str] | None = None,
    contexts: Collection[str] | None = None,
    modules: Sequence[ModuleType] | None = None,
) -> Gateway:
    """The app over every discovered annotated RPC whose service has an address
    (`addresses` overrides the settings per context; `contexts` limits the gateway to
    those contexts, by default it serves all it finds)."""
    bindings = load_bindings(discover_modules() if modules is None else modules)
    found = {b.rpc.context for b in bindings}
    wanted = found if contexts is None else found & set(contexts)
    where = backend_addresses(settings, wanted, addresses)
    served = [b for b in bindings if b.rpc.context in where]
    log.info("gateway: %d routes to %s", len(served), ", ".join(sorted(where)) or "nothing")
    return Gateway(served, Backends.connect(where), GatewayConfig.from_settings(settings))


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the process owner decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class RunningGateway:
    app: Gateway
    port: int
    _server: uvicorn.Server
    _task: asyncio.Task[None]

    async def stop(self) -> None:
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.app.close()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it Nagle and delayed ACKs add ~40 ms to every response written in two parts.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


async def serve_app(app: Gateway, host: str, port: int) -> RunningGateway:
    sock = _listen(host, port)
    config = uvicorn.Config(
        ObservedApp(app),
        lifespan="off",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        ws="none",
        log_config=None,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="gateway-http")
    while not server.started:
        if task.done():
            sock.close()
            await task
            raise RuntimeError("the gateway did not start")
        await asyncio.sleep(0.01)
    return RunningGateway(app, sock.getsockname()[1], server, task)


async def start_gateway(
    runtime: Runtime,
    host: str,
    port: int,
    *,
    addresses: Mapping[str, str] | None = None,
    contexts: Collection[str] | None = None,
) -> RunningGateway:
    """Serve the gateway on host:port (0 picks a free port) until `stop()`."""
    app = build_gateway(runtime.settings, addresses=addresses, contexts=contexts)
    try:
        return await serve_app(app, host, port)
    except BaseException:
        await app.close()
        raise
