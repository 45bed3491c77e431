"""The gateway serves the web console's build at `/` without shadowing any API or
operational path: files with their type and caching, client routes get index.html, a
missing build answers a page that says how to build it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.cli.main import main
from services.gateway.app import Gateway, GatewayConfig, RunningGateway, serve_app
from services.gateway.backends import Backends
from services.gateway.descriptors import discover_modules, load_bindings
from services.gateway.static import StaticSite

INDEX = "<!doctype html><title>console</title><script src=/assets/app-1a2b3c.js></script>"
SCRIPT = "console.log('the console');\n" * 100
CONFIG = GatewayConfig(
    backend_timeout=2,
    stream_timeout=2,
    max_body_bytes=1 << 20,
    trust_proxy=False,
    cors_origins=frozenset(),
)
#: Nothing listens here: API calls reach their endpoint and fail as UNAVAILABLE.
NOWHERE = "127.0.0.1:1"


def build_dir(root: Path) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "app-1a2b3c.js").write_text(SCRIPT)
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return root


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    """A gateway with every discovered route (backends unreachable) and a console build."""
    bindings = load_bindings(discover_modules())
    contexts = {b.rpc.context for b in bindings}
    backends = Backends.connect(dict.fromkeys(contexts, NOWHERE))
    root = build_dir(tmp_path / "dist")
    running: RunningGateway = await serve_app(
        Gateway(bindings, backends, CONFIG, StaticSite(root)), "127.0.0.1", 0
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.port}") as http:
            yield http, root
    finally:
        await running.stop()


async def test_index_is_served_at_root_and_revalidated(
    console: tuple[httpx.AsyncClient, Path],
) -> None:
    http, _ = console
    reply = await http.get("/")
    assert reply.status_code == 200
    assert reply.text == INDEX
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in reply.headers["content-security-policy"]
    assert reply.headers["x-request-id"]
    again = await http.get("/", headers={"If-None-Match": reply.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_client_routes_get_index_but_missing_files_are_404(
    console: tuple[httpx.AsyncClient, Path],
) -> None:
    http, _ = console
    for route in ("/requests", "/requests/8d6c8c4e-3b7e-4b8e-9d55-0a8c4f3e1f11", "/admin/users"):
        reply = await http.get(route)
        assert reply.status_code == 200, route
        assert reply.text == INDEX
    missing = await http.get("/assets/gone-123.js")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"
    outside = await http.get("/%2e%2e/%2e%2e/etc/passwd")
    assert outside.status_code == 404
    assert (await http.get("/requests%00.js")).status_code == 404


async def test_hashed_assets_are_immutable_and_compressed(
    console: tuple[httpx.AsyncClient, Path],
) -> None:
    http, _ = console
    reply = await http.get("/assets/app-1a2b3c.js", headers={"Accept-Encoding": "gzip"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/javascript; charset=utf-8"
    assert reply.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert reply.headers["content-encoding"] == "gzip"
    assert reply.text == SCRIPT  # httpx decompresses
    assert int(reply.headers["content-length"]) < len(SCRIPT)
    raw = await http.get("/assets/app-1a2b3c.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert raw.text == SCRIPT
    assert raw.headers["etag"] != reply.headers["etag"]
    cached = await http.get(
        "/assets/app-1a2b3c.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": reply.headers["etag"]},
    )
    assert cached.status_code == 304
    icon = await http.get("/favicon.svg")
    assert icon.headers["content-type"] == "image/svg+xml"
    head = await http.head("/")
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) == len(INDEX)


async def test_api_and_operational_paths_are_never_shadowed(
    console: tuple[httpx.AsyncClient, Path],
) -> None:
    http, _ = console
    api = await http.get("/v1/users/me")
    assert api.status_code == 503  # reached the identity endpoint, whose backend is down
    assert api.headers["content-type"] == "application/json"
    unknown = await http.get("/v1/no-such-route")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "NOT_FOUND"
    assert (await http.get("/openapi.json")).json()["openapi"]
    for path in ("/v1", "/livez", "/readyz", "/metrics"):
        reply = await http.get(path)
        assert reply.headers["content-type"] != "text/html; charset=utf-8", path
    posted = await http.post("/requests", json={})
    assert posted.status_code == 404


async def test_the_cli_writes_the_document_the_gateway_serves(
    console: tuple[httpx.AsyncClient, Path], tmp_path: Path
) -> None:
    """`tagen openapi` (what the console's API types are generated from) starts no server
    and writes the same document as `/openapi.json`."""
    out = tmp_path / "openapi.json"
    assert main(["openapi", "--out", str(out)]) == 0
    http, _ = console
    served = (await http.get("/openapi.json")).json()
    assert json.loads(out.read_text()) == served
    assert "/v1/requests/{request_id}:approve" in served["paths"]


async def test_a_rebuild_shows_on_the_next_load(console: tuple[httpx.AsyncClient, Path]) -> None:
    http, root = console
    first = await http.get("/")
    (root / "index.html").write_text(INDEX.replace("console", "console v2"))
    second = await http.get("/", headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert "console v2" in second.text


async def test_a_missing_build_answers_how_to_build_it(tmp_path: Path) -> None:
    running = await serve_app(
        Gateway([], Backends.connect({}), CONFIG, StaticSite(tmp_path / "absent")), "127.0.0.1", 0
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.port}") as http:
            reply = await http.get("/")
            assert reply.status_code == 503
            assert reply.headers["content-type"].startswith("text/html")
            assert "make web" in reply.text
            assert reply.headers["cache-control"] == "no-store"
            assert (await http.get("/v1/requests")).status_code == 404
    finally:
        await running.stop()
