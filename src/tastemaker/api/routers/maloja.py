"""Maloja's scrobble API (``/apis/mlj_1/``): ``newscrobble`` and ``serverinfo``, for clients that speak it.

The ``key`` is a Tastemaker API token. Every answer, errors included, is in Maloja's shape:
``{"status": "success", "track": {...}}`` or ``{"status": "failure", "error": {"type", "value", "desc"}}``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import anyio
import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException

from tastemaker import __version__
from tastemaker.api.auth import authorize
from tastemaker.errors import Forbidden, TastemakerError, Unauthorized
from tastemaker.events.ingest import validate_items
from tastemaker.events.schema import FULL_LISTEN_MS

log = logging.getLogger(__name__)
_encoder = msgspec.json.Encoder()


class MalojaError(Exception):
    def __init__(self, status: int, kind: str, desc: str, value: Any = None) -> None:
        super().__init__(desc)
        self.status, self.kind, self.desc, self.value = status, kind, desc, value


def _json(body: Any, status: int = 200) -> Response[bytes]:
    return Response(_encoder.encode(body), status_code=status, media_type="application/json")


def _handle(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    if isinstance(exc, MalojaError):
        error = MalojaError(exc.status, exc.kind, exc.desc, exc.value)
    elif isinstance(exc, HTTPException) and exc.status_code < 500:
        error = MalojaError(exc.status_code, "malformed_request", str(exc.detail))
    else:
        log.exception("unhandled error in the Maloja API", exc_info=exc)
        error = MalojaError(500, "internal_error", "internal error; the server log has the details")
    body = {"status": "failure", "error": {"type": error.kind, "value": error.value, "desc": error.desc}}
    return _json(body, error.status)


async def _fields(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Maloja takes a JSON object, form fields or query parameters, merged in that order of precedence."""
    fields: dict[str, Any] = dict(parse_qsl(request.scope["query_string"].decode("utf-8", "replace")))
    body = await request.body()
    if not body.strip():
        return fields
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        fields.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return fields
    try:
        document = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        raise MalojaError(400, "malformed_request", "the body is not a JSON object") from None
    if not isinstance(document, dict):
        raise MalojaError(400, "malformed_request", "the body is not a JSON object")
    fields.update(document)
    return fields


def _seconds(fields: dict[str, Any], name: str) -> int | None:
    value = fields.get(name)
    if value is None or value == "":
        return None
    try:
        seconds = int(float(value))
    except (TypeError, ValueError, OverflowError):
        raise MalojaError(400, "invalid_value", f"{name} must be a number of seconds", name) from None
    if not 0 <= seconds <= 2**33:
        raise MalojaError(400, "invalid_value", f"{name} is out of range", name)
    return seconds


def _artists(fields: dict[str, Any]) -> list[str]:
    artists = fields.get("artists")
    if isinstance(artists, str):
        artists = [artists]
    if not artists and fields.get("artist"):
        artists = [fields["artist"]]
    if not isinstance(artists, list) or not all(isinstance(a, str) for a in artists):
        artists = []
    return [a for a in artists if a.strip()]


def _item(fields: dict[str, Any], user: str) -> dict[str, Any]:
    artists, title = _artists(fields), fields.get("title")
    checks = (("artists", bool(artists)), ("title", isinstance(title, str) and bool(title.strip())))
    missing = [name for name, ok in checks if not ok]
    if missing:
        desc = f"the scrobble is missing {', '.join(missing)}"
        raise MalojaError(400, "missing_scrobble_data", desc, missing)
    duration, length = _seconds(fields, "duration"), _seconds(fields, "length")
    ts = _seconds(fields, "time")
    played_s = duration or length
    item: dict[str, Any] = {
        "type": "play",
        "user_id": user,
        "ts": datetime.now(UTC).timestamp() if ts is None else ts,
        "track_name": title,
        "artist_name": artists[0],  # as the Maloja importer files it, so both name the same track
        "ms_played": played_s * 1000 if played_s else FULL_LISTEN_MS,
    }
    extra: dict[str, Any] = {"artists": artists} if len(artists) > 1 else {}
    if not played_s:
        extra["ms_played_assumed"] = True
    if extra:
        item["extra"] = extra
    if length:
        item["duration_ms"] = length * 1000
    if isinstance(fields.get("album"), str) and fields["album"]:
        item["album_name"] = fields["album"]
    return item


@post(
    "/apis/mlj_1/newscrobble",
    status_code=200,
    summary="Maloja: scrobble one play",
    exception_handlers={Exception: _handle},
)
async def newscrobble(request: Request[Any, Any, Any]) -> Response[bytes]:
    fields = await _fields(request)
    platform = request.app.state.platform
    key = fields.get("key")
    try:
        if not isinstance(key, str):
            msg = "key is missing"
            raise Unauthorized(msg)
        principal = authorize(
            f"Token {key}", platform.store, method="POST", admin_token=platform.config["admin_token"]
        )
    except Forbidden as exc:
        raise MalojaError(403, "permission_denied", str(exc)) from None
    except TastemakerError:
        raise MalojaError(401, "authentication_fail", "Invalid or missing authentication (key)") from None
    item = _item(fields, principal.name)
    events, errors = validate_items(
        [item],
        now=datetime.now(UTC),
        future_tolerance=timedelta(seconds=platform.config["future_tolerance_s"]),
        user=principal.name,
        admin=principal.admin,
        loc_prefix=("scrobble",),
    )
    if errors:
        raise MalojaError(400, "invalid_scrobble", errors[0]["msg"], errors[0]["loc"][2:])
    await anyio.to_thread.run_sync(platform.event_log.append, events)
    request.app.state.metrics.events_accepted.inc(len(events))
    track = {"artists": _artists(fields), "title": item["track_name"], "length": item.get("duration_ms")}
    desc = f"Scrobbled {item['track_name']} by {item['artist_name']}"
    return _json({"status": "success", "track": track, "desc": desc})


@get(
    "/apis/mlj_1/serverinfo",
    summary="Maloja: server name and version (clients probe it)",
    exception_handlers={Exception: _handle},
)
async def serverinfo() -> Response[bytes]:
    return _json(
        {
            "name": "Tastemaker",
            "version": __version__.split("."),
            "versionstring": __version__,
            "db_status": {"healthy": True, "rebuildinprogress": False, "complete": True},
        }
    )


maloja_handlers = [newscrobble, serverinfo]
