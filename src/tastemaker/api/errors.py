"""Every error leaves the API in one JSON shape, pinned by ``tests/api/test_error_shape.py``::

    {"ok": false, "status": 400, "error": "one sentence",
     "errors": [{"loc": [...], "type": "...", "msg": "..."}]}

The domain raises ``TastemakerError`` subclasses; this table maps them to status codes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from tastemaker.errors import (
    BackendUnavailable,
    ConfigError,
    Forbidden,
    InvalidEvent,
    NotFound,
    TastemakerError,
    Unauthorized,
)

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[TastemakerError], int] = {
    InvalidEvent: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    BackendUnavailable: 503,
    ConfigError: 500,
}
_encoder = msgspec.json.Encoder()


class ApiError(Exception):
    """A request-level problem (bad body, too large, bad parameter) with its own status and items."""

    def __init__(self, status: int, error: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.errors = errors or []


def error_response(
    status: int, error: str, errors: list[dict[str, Any]] | None = None, **more: Any
) -> Response[bytes]:
    body = {"ok": False, "status": status, "error": error, "errors": errors or [], **more}
    headers = {"WWW-Authenticate": "Token"} if status == 401 else None
    return Response(_encoder.encode(body), status_code=status, media_type="application/json", headers=headers)


def status_for(exc: TastemakerError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def handle_api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    return error_response(exc.status, exc.error, exc.errors)


def handle_domain_error(_: Request[Any, Any, Any], exc: TastemakerError) -> Response[bytes]:
    status = status_for(exc)
    items = [exc.as_dict()] if isinstance(exc, InvalidEvent) else []
    return error_response(status, str(exc), items)


def handle_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    items: list[dict[str, Any]] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            loc = [item.get("source", "query"), item.get("key", "")]
            items.append({"loc": loc, "type": "invalid_parameter", "msg": str(item.get("message", ""))})
    return error_response(400, "a request parameter is invalid", items)


ErrorShape = Callable[[int, str], Response[bytes]]
SHAPES_BY_PREFIX: dict[str, ErrorShape] = {}
"""Error shapes of the compatibility APIs by path prefix (filled by ``create_app``): a request that
matches no route (404, 405) never reaches a router's own handlers, yet its client expects that
router's shape."""


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    error = exc.detail or "request failed"
    if exc.status_code == 413:
        error = "request body is too large; send smaller batches (see max_body_bytes)"
    for prefix, shape in SHAPES_BY_PREFIX.items():
        if request.url.path.startswith(prefix):
            return shape(exc.status_code, error)
    return error_response(exc.status_code, error)


def handle_unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal error; the server log has the details")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ApiError: handle_api_error,
    TastemakerError: handle_domain_error,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}
