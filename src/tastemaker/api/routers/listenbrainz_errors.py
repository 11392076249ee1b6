"""Errors of the ListenBrainz router in ListenBrainz's shape, ``{"code": 400, "error": "..."}``.

Registered on the router only, so ListenBrainz clients (which read ``error``) get what they parse
while the rest of the app keeps its native shape.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from tastemaker.api.errors import STATUS_BY_ERROR, ApiError
from tastemaker.errors import TastemakerError

log = logging.getLogger(__name__)
_encoder = msgspec.json.Encoder()


def lb_error(status: int, error: str) -> Response[bytes]:
    headers = {"WWW-Authenticate": "Token"} if status == 401 else None
    body = _encoder.encode({"code": status, "error": error})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    return lb_error(exc.status, exc.error)


def _domain_error(_: Request[Any, Any, Any], exc: TastemakerError) -> Response[bytes]:
    status = next((STATUS_BY_ERROR[cls] for cls in type(exc).__mro__ if cls in STATUS_BY_ERROR), 500)
    return lb_error(status, str(exc))


def _validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    problems = [
        f"{item.get('key', '')}: {item.get('message', '')}"
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    return lb_error(400, "Invalid request parameter: " + ("; ".join(problems) or str(exc.detail)))


def _http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    error = exc.detail or "request failed"
    if exc.status_code == 413:
        error = "Request body is too large; submit fewer listens per request"
    return lb_error(exc.status_code, error)


def _unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error", exc_info=exc)
    return lb_error(500, "internal error; the server log has the details")


LB_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ApiError: _api_error,
    TastemakerError: _domain_error,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _unexpected,
}
