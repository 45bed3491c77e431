"""The web console's built files, served by the gateway at `/`.

The console is a single-page application built into `web/dist` (`make web`). Every GET or
HEAD that no API route matched lands here, except the gateway's own paths (`/v1/...`,
`/openapi.json`, health and metrics), which keep their JSON 404:

- an existing file is sent with its media type; files under `assets/` carry a content hash in
  their name and are cached for a year (`immutable`), everything else (index.html) is
  `no-cache` with an ETag, so a new build shows on the next load;
- any other path without a file extension is a client route and gets index.html;
- a missing build answers 503 with a page that says how to build the console.

Files are read once per (path, mtime, size) and kept gzip-compressed when that helps.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from services.gateway.asgi import Headers, Send

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "web" / "dist"
INDEX = "index.html"
HASHED_DIR = "assets"
#: Paths the console never answers: the API and the gateway's operational endpoints.
RESERVED_PREFIXES = ("/v1/", "/v1:")
RESERVED_PATHS = frozenset({"/v1", "/openapi.json", "/healthz", "/livez", "/readyz", "/metrics"})
IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
#: Only same-origin code, styles and API calls: the console loads nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
    b"connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".map": "application/json",
    ".woff2": "font/woff2",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
NOT_BUILT_PAGE = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>tagen console not built</title>"
    b"<body style='font-family:sans-serif;max-width:40em;margin:4em auto'>"
    b"<h1>The web console is not built</h1><p>The API is up (see <a href='/openapi.json'>"
    b"/openapi.json</a>), but <code>web/dist</code> is missing. Build the console with "
    b"<code>make web</code> (<code>make run</code> does it for you) and reload.</p></body></html>"
)


def media_type_of(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def is_reserved(path: str) -> bool:
    """True for the API and the gateway's own endpoints, which the console never shadows."""
    return path in RESERVED_PATHS or path.startswith(RESERVED_PREFIXES)


@dataclass(frozen=True)
class StaticFile:
    media_type: str
    body: bytes
    gzipped: bytes | None
    etag: bytes


def _load(path: Path) -> StaticFile:
    body = path.read_bytes()
    kind = media_type_of(path.name)
    gzipped = None
    if kind.startswith(_COMPRESSIBLE) and len(body) > 1024:
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        gzipped = packed if len(packed) < len(body) else None
    etag = b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
    return StaticFile(kind, body, gzipped, etag)


class StaticSite:
    """Answers GET/HEAD for the console from a build directory."""

    def __init__(self, root: Path = DEFAULT_ROOT) -> None:
        self.root = root.resolve()
        self._cache: dict[Path, tuple[tuple[int, int], StaticFile]] = {}

    def claims(self, method: str, path: str) -> bool:
        return method in ("GET", "HEAD") and not is_reserved(path)

    @property
    def built(self) -> bool:
        return (self.root / INDEX).is_file()

    def _resolve(self, path: str) -> tuple[Path, bool] | None:
        """The file for a URL path and whether it is a hashed asset; index.html for client
        routes; None for a missing file that looks like one (has an extension)."""
        relative = unquote(path).lstrip("/")
        if "\x00" in relative:
            return None
        if relative:
            candidate = (self.root / relative).resolve()
            inside = candidate.is_relative_to(self.root)
            if inside and candidate.is_file():
                return candidate, relative.startswith(HASHED_DIR + "/")
            if not inside or PurePosixPath(relative).suffix:
                return None
        return self.root / INDEX, False

    def _file(self, path: Path) -> StaticFile:
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
        loaded = _load(path)
        self._cache[path] = (version, loaded)
        return loaded

    async def serve(
        self,
        method: str,
        path: str,
        request_headers: dict[bytes, bytes],
        send: Send,
        headers: Headers,
    ) -> bool:
        """Send the answer; False when there is no such file (the caller answers 404)."""
        base = [(k, v) for k, v in headers if k != b"cache-control"]
        base.append((b"x-content-type-options", b"nosniff"))
        if not self.built:
            await _send(
                send,
                503,
                NOT_BUILT_PAGE,
                "text/html; charset=utf-8",
                method,
                [*base, (b"cache-control", b"no-store")],
            )
            return True
        found = self._resolve(path)
        if found is None:
            return False
        file_path, hashed = found
        try:
            static = self._file(file_path)
        except FileNotFoundError:  # a rebuild removed it between the check and the read
            return False
        base += [
            (b"cache-control", IMMUTABLE if hashed else REVALIDATE),
            (b"vary", b"accept-encoding"),
        ]
        if static.media_type.startswith("text/html"):
            base.append((b"content-security-policy", CONTENT_SECURITY_POLICY))
        body, etag = static.body, static.etag
        if static.gzipped is not None and b"gzip" in request_headers.get(b"accept-encoding", b""):
            # The compressed bytes are another representation: another strong ETag.
            body, etag = static.gzipped, static.etag[:-1] + b'-gz"'
            base.append((b"content-encoding", b"gzip"))
        base.append((b"etag", etag))
        if etag in _etags(request_headers.get(b"if-none-match", b"")):
            await _send(
                send, 304, b"", None, "HEAD", [h for h in base if h[0] != b"content-encoding"]
            )
            return True
        await _send(send, 200, body, static.media_type, method, base)
        return True


def _etags(header: bytes) -> set[bytes]:
    return {tag.strip().removeprefix(b"W/") for tag in header.split(b",") if tag.strip()}


async def _send(
    send: Send, status: int, body: bytes, media_type: str | None, method: str, headers: Headers
) -> None:
    start: Headers = [*headers]
    if media_type is not None:
        start.append((b"content-type", media_type.encode()))
    if status != 304:
        start.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
