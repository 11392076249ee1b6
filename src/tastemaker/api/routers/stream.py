"""``GET /v1/tracks/{id}/stream``: a track's audio, with HTTP range requests so that players can seek.

A client authenticates with its token, or (an ``<audio>`` element cannot send headers) with the signed
``stream_url`` of ``GET /v1/tracks/{id}`` (``api/stream_signing.py``). The file is found by
``audio.playable.playable_file``: a local path or ``file://`` URL as it is, a ``synth:`` URL rendered once
into ``{data_dir}/audio-cache``. A remote ``http(s)`` URL is not proxied: the answer redirects to it.

Ranges, after RFC 9110 §14: one ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` gets 206 with
``Content-Range``; an unsatisfiable one 416 with ``Content-Range: bytes */size``; several ranges, or a
unit other than bytes, get the whole file (a server may ignore ``Range``). The body is read in chunks,
never whole.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import anyio
from litestar import Litestar, Request, Response, Router, route
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Stream
from litestar.response.base import ASGIResponse
from litestar.types import TypeEncodersMap

from tastemaker.api.errors import error_response
from tastemaker.api.routers.native import platform_of, principal_of
from tastemaker.api.stream_signing import is_valid
from tastemaker.audio.decode import AudioError
from tastemaker.audio.playable import RemoteAudio, playable_file
from tastemaker.errors import Forbidden, NotFound
from tastemaker.platform import Platform

CHUNK_BYTES = 64 * 1024
CACHE_DIR = "audio-cache"
MEDIA_TYPES = {
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
    ".m4a": "audio/mp4",
    ".mp4": "audio/mp4",
    ".aac": "audio/aac",
    ".webm": "audio/webm",
    ".aif": "audio/aiff",
    ".aiff": "audio/aiff",
}
_SPEC = re.compile(r"(\d*)-(\d*)")


class RangeNotSatisfiable(Exception):
    """The one range asked for lies outside the file (or is malformed): 416."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive ``(first, last)`` byte of a single-range ``Range`` header; None: send it all."""
    if header is None:
        return None
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in specs:
        return None
    match = _SPEC.fullmatch(specs.strip())
    if match is None or match.group(1) == match.group(2) == "":
        raise RangeNotSatisfiable
    first_text, last_text = match.groups()
    if first_text == "":  # a suffix: the last n bytes
        n = int(last_text)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(size - n, 0), size - 1
    first = int(first_text)
    last = size - 1 if last_text == "" else min(int(last_text), size - 1)
    if first >= size or (last_text != "" and int(last_text) < first):
        raise RangeNotSatisfiable
    return first, last


async def read_chunks(path: Path, first: int, length: int) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as file:
        await file.seek(first)
        left = length
        while left > 0:
            chunk = await file.read(min(CHUNK_BYTES, left))
            if not chunk:  # the file shrank under us: end the body short rather than hang
                return
            left -= len(chunk)
            yield chunk


class FileStream(Stream):
    """A streamed body that a HEAD request gets the headers of (Litestar's own ``Stream`` sends a body)."""

    def to_asgi_response(
        self,
        app: Litestar | None,
        request: Request[Any, Any, Any],
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Iterable[Cookie] | None = None,
        encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        media_type: MediaType | str | None = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> ASGIResponse:
        return super().to_asgi_response(
            app,
            request,
            background=background,
            cookies=cookies,
            encoded_headers=encoded_headers,
            headers=headers,
            is_head_response=is_head_response or request.method == "HEAD",
            media_type=media_type,
            status_code=status_code,
            type_encoders=type_encoders,
        )


def authorize(request: Request[Any, Any, Any], track_id: str) -> None:
    """A valid signature is enough; otherwise the Authorization header must be (401 without one)."""
    expires, sig = request.query_params.get("expires"), request.query_params.get("sig")
    if expires is not None and sig is not None:
        if is_valid(request.app.state.stream_secret, track_id, expires, sig, now=time.time()):
            return
        if request.headers.get("authorization") is None:
            msg = "stream link expired or not signed by this server; GET /v1/tracks/{id} has a fresh one"
            raise Forbidden(msg)
    principal_of(request)


def audio_file(platform: Platform, track_id: str) -> Path | str:
    """The local file of a track's audio, or the remote URL to redirect to."""
    track = platform.store.get_track(track_id)  # not the cache: the catalog consumer may add audio_url
    if track is None:
        msg = f"no track {track_id!r} in the catalog"
        raise NotFound(msg)
    if not track.audio_url:
        msg = f"track {track_id!r} has no audio"
        raise NotFound(msg)
    try:
        return playable_file(track.audio_url, platform.config.data_dir / CACHE_DIR)
    except RemoteAudio as remote:
        return remote.url
    except AudioError as exc:  # an audio_url of no scheme we know, or a synth: URL that does not parse
        msg = f"track {track_id!r} has no playable audio: {exc}"
        raise NotFound(msg) from exc


@route(
    "/tracks/{track_id:str}/stream",
    http_method=["GET", "HEAD"],
    summary="A track's audio, with HTTP range requests (token, or the signed stream_url of the track)",
    sync_to_thread=True,
)
def stream_track(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[Any]:
    platform = platform_of(request)
    authorize(request, track_id)
    found = audio_file(platform, track_id)
    if isinstance(found, str):
        return Redirect(found, status_code=307)
    size = found.stat().st_size
    try:
        wanted = byte_range(request.headers.get("range"), size)
    except RangeNotSatisfiable:
        response = error_response(
            416, f"the range {request.headers.get('range')!r} is outside the file's {size} bytes"
        )
        response.headers["Content-Range"] = f"bytes */{size}"
        return response
    first, last = wanted or (0, size - 1)
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Length": str(last - first + 1),
        "Content-Type": MEDIA_TYPES.get(found.suffix.lower(), "application/octet-stream"),
        "Cache-Control": "private, max-age=3600",
    }
    if wanted is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return FileStream(
        read_chunks(found, first, last - first + 1), status_code=206 if wanted else 200, headers=headers
    )


stream_router = Router(path="/v1", route_handlers=[stream_track], tags=["native"])
