"""Answers that the backpressure and rate-limit middlewares send before any router runs.

They never reach a router's exception handlers, so each compatibility API's error shape is chosen here
by path: a ListenBrainz client must read ``{"code", "error"}``, a scrobbler Last.fm's ``<lfm
status="failed">`` (or its JSON) with an error code it knows to retry, Maloja its ``failure`` object.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Response
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Send

from tastemaker.api.errors import SHAPES_BY_PREFIX, error_response
from tastemaker.api.routers.lastfm_wire import RATE_LIMITED, SERVICE_OFFLINE, LastfmError, render_error

LASTFM_PREFIX = "/2.0"
MALOJA_PREFIX = "/apis/mlj_1/"
FORM_PEEK_BYTES = 64 * 1024
"""Most of a Last.fm form body read to learn ``method`` and ``format``: scrobble forms are small, and a
body beyond this is left to the router (which enforces ``max_body_bytes``)."""
_encoder = msgspec.json.Encoder()


def query_params(scope: Mapping[str, Any]) -> dict[str, str]:
    raw: bytes = scope.get("query_string", b"")
    return dict(parse_qsl(raw.decode("utf-8", "replace")))


def shaped_error(
    path: str, status: int, error: str, *, lastfm_format: str = "xml", **more: Any
) -> Response[bytes]:
    """The error in the shape the API at ``path`` answers with; ``more`` goes into the native body only."""
    if path.startswith(LASTFM_PREFIX):
        code = RATE_LIMITED if status == 429 else SERVICE_OFFLINE
        return render_error(LastfmError(code, error), "json" if lastfm_format == "json" else "xml")
    if path.startswith(MALOJA_PREFIX):
        kind = "rate_limited" if status == 429 else "service_unavailable"
        body = {"status": "failure", "error": {"type": kind, "value": None, "desc": error}}
        return Response(_encoder.encode(body), status_code=status, media_type="application/json")
    for prefix, shape in SHAPES_BY_PREFIX.items():
        if path.startswith(prefix):
            return shape(status, error)
    return error_response(status, error, **more)


async def send_response(send: Send, response: Response[bytes], headers: Mapping[str, str]) -> None:
    """Send ``response`` straight through ASGI, with ``headers`` added (Retry-After, X-RateLimit-*)."""
    media = response.media_type
    media_text = str(media.value if isinstance(media, Enum) else media or "application/json")
    body = response.content if isinstance(response.content, bytes) else b""
    raw = [(b"content-type", media_text.encode()), (b"content-length", str(len(body)).encode())]
    for name, value in {**dict(response.headers), **headers}.items():
        raw.append((name.lower().encode("latin-1"), str(value).encode("latin-1")))
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": int(response.status_code or 500),
        "headers": raw,
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)


async def peek_form(receive: Receive) -> tuple[dict[str, str], Receive]:
    """The form fields of a small urlencoded body, and a ``receive`` that replays the body to the app.

    Only the (rare) refusal path of ``POST /2.0/`` uses it: whether the call is a scrobble and which
    format the client asked for are in the form there, not in the URL."""
    messages: list[Any] = []
    size = 0
    more = True
    while more and size <= FORM_PEEK_BYTES:
        message = await receive()
        messages.append(message)
        if message.get("type") != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk) if isinstance(chunk, bytes) else 0
        more = bool(message.get("more_body", False))
    fields: dict[str, str] = {}
    if not more:
        body = b"".join(m.get("body", b"") for m in messages if m.get("type") == "http.request")
        fields = dict(parse_qsl(body.decode("utf-8", "replace")))

    async def replay() -> Any:
        if messages:
            return messages.pop(0)
        return await receive()

    return fields, replay
