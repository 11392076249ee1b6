"""Spotify's error shape for the ``/spotify`` router: ``{"error": {"status": N, "message": "…"}}``.

Spotify clients read ``error.message`` (spotipy puts it in ``SpotifyException.msg``), so every error
this router gives, our domain errors and Litestar's validation errors included, leaves in that shape.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from tastemaker.api.errors import ApiError, status_for
from tastemaker.errors import TastemakerError

log = logging.getLogger(__name__)
_encoder = msgspec.json.Encoder()


class SpotifyError(Exception):
    """A client mistake this router reports with Spotify's status and a one-sentence message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def spotify_error(status: int, message: str) -> Response[bytes]:
    body = {"error": {"status": status, "message": message}}
    headers = {"WWW-Authenticate": 'Bearer realm="tastemaker"'} if status == 401 else None
    return Response(_encoder.encode(body), status_code=status, media_type="application/json", headers=headers)


def _spotify(_: Request[Any, Any, Any], exc: SpotifyError) -> Response[bytes]:
    return spotify_error(exc.status, exc.message)


def _api(_: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    details = "; ".join(str(item.get("msg", "")) for item in exc.errors if item.get("msg") != exc.error)
    return spotify_error(exc.status, f"{exc.error} ({details})" if details else exc.error)


def _domain(_: Request[Any, Any, Any], exc: TastemakerError) -> Response[bytes]:
    return spotify_error(status_for(exc), str(exc))


def _validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    items = exc.extra if isinstance(exc.extra, list) else []
    details = [f"{i.get('key', '')}: {i.get('message', '')}" for i in items if isinstance(i, dict)]
    return spotify_error(400, "invalid request parameter" + (f" ({'; '.join(details)})" if details else ""))


def _http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    return spotify_error(exc.status_code, exc.detail or "request failed")


def _unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error", exc_info=exc)
    return spotify_error(500, "internal error; the server log has the details")


SPOTIFY_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    SpotifyError: _spotify,
    ApiError: _api,
    TastemakerError: _domain,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _unexpected,
}
