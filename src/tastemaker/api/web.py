"""The web app (``web/``, built by Vite into ``api/static/``) served at ``/`` next to the API.

``/`` and ``/assets/…`` are routes. Any other GET that matches no route reaches ``spa_fallback``, the
app's 404 handler: a file of the build (``/favicon.svg``) is sent as it is, a path without a file
extension (``/dj``, ``/wrapped/2026``) gets ``index.html`` so that the app's router shows the page, and
everything else, including every unknown path under an API prefix, keeps its JSON 404. Handling the
fallback at 404 time, rather than with a catch-all route, leaves the API's routing untouched: an unknown
``POST /v1/…`` is still 404, not 405.

Hashed assets are cached for a year; ``index.html`` is revalidated on every load, so a new build shows
at once. HTML carries a Content-Security-Policy that allows only this origin (styles may be inline:
lottie-web sets them). Without a build, ``/`` answers 503 with a page that says how to build it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

from tastemaker.api.errors import handle_http

STATIC_DIR = Path(__file__).resolve().parent / "static"
API_PREFIXES = ("/v1", "/1", "/2.0", "/spotify", "/apis", "/docs", "/healthz", "/metrics", "/assets")
"""Paths whose misses stay JSON 404s (``/assets`` too: a missing bundle must not come back as HTML)."""
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
    ]
)
HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
MEDIA_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".wasm": "application/wasm",
    ".txt": "text/plain",
}
"""Fixed here, not guessed from the system's mime.types: with ``nosniff`` a browser refuses a script
that is not sent as JavaScript. Litestar adds ``; charset=utf-8`` to the ``text/`` types itself."""
ASSET_CACHE = "public, max-age=31536000, immutable"
"""Vite puts a content hash in every asset name: a changed file is a new URL."""
NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tastemaker</title></head>
<body><h1>Tastemaker</h1>
<p>The API is running, but the web app is not built: run <code>make demo</code>
(or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>) and reload.</p>
<p>The API's documentation is at <a href="/docs">/docs</a>.</p></body></html>
"""


def static_dir_of(request: Request[Any, Any, Any]) -> Path:
    static_dir: Path = request.app.state.static_dir
    return static_dir


def is_api_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES)


def safe_file(root: Path, relative: str) -> Path | None:
    """The file ``relative`` names inside ``root``, or None: no ``..``, no absolute path, and no way
    out through a symbolic link (the resolved path must stay under the resolved root)."""
    parts = PurePosixPath(relative.lstrip("/")).parts
    if not parts or any(part in ("..", ".") or "\\" in part or "\0" in part for part in parts):
        return None
    base = root.resolve()
    candidate = base.joinpath(*parts).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate


def file_response(path: Path, *, cache_control: str) -> Response[Any]:
    headers = {"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    if path.suffix == ".html":
        headers.update(HTML_HEADERS)
    media_type = MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    return File(
        path,
        content_disposition_type="inline",
        media_type=media_type or "application/octet-stream",
        headers=headers,
    )


def index_response(root: Path) -> Response[Any]:
    index = root / "index.html"
    if not index.is_file():
        headers = {**HTML_HEADERS, "Cache-Control": "no-store"}
        return Response(NOT_BUILT, status_code=503, media_type="text/html", headers=headers)
    return file_response(index, cache_control="no-cache")


@get("/", include_in_schema=False, summary="The web app")
async def web_index(request: Request[Any, Any, Any]) -> Response[Any]:
    return index_response(static_dir_of(request))


@get("/assets/{path:path}", include_in_schema=False, summary="The web app's built assets")
async def web_asset(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[Any]:
    found = safe_file(static_dir_of(request) / "assets", path)
    if found is None:
        msg = f"no web asset {path.lstrip('/')!r}"
        raise NotFoundException(msg)
    return file_response(found, cache_control=ASSET_CACHE)


def spa_fallback(request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any]:
    """The app-level 404 handler: a file of the build, the app shell for a client route, or JSON."""
    path = request.url.path
    if request.method == "GET" and not is_api_path(path):
        root = static_dir_of(request)
        found = safe_file(root, path)
        if found is not None:
            return file_response(found, cache_control="no-cache")
        if "." not in path.rsplit("/", 1)[-1] and ".." not in path:
            return index_response(root)
    return handle_http(request, exc)


web_handlers = [web_index, web_asset]
