"""Last.fm 2.0 / Audioscrobbler-compatible API at ``/2.0/``, and Maloja's newscrobble (``maloja.py``).

One route takes every method (``method=…`` in the query or the form body, both merged, as clients send
them); every answer, errors included, is Last.fm's XML or, with ``format=json``, its JSON.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import anyio
from litestar import Request, Response, Router, route
from litestar.exceptions import HTTPException

from tastemaker.api.auth import READ, WRITE, Principal, scopes_of
from tastemaker.api.routers.lastfm_auth import (
    check_api_key,
    check_signature,
    credentials,
    open_session,
    require,
    session_user,
)
from tastemaker.api.routers.lastfm_history import (
    PERIOD_DAYS,
    period_start,
    plays_since,
    recent_listens,
    top_artists,
    top_tracks,
)
from tastemaker.api.routers.lastfm_scrobble import ignored_code, play_item, scrobble_fields, scrobble_node
from tastemaker.api.routers.lastfm_wire import (
    AUTH_FAILED,
    INVALID_METHOD,
    INVALID_PARAMETERS,
    LOGIN_REQUIRED,
    OPERATION_FAILED,
    SERVICE_OFFLINE,
    LastfmError,
    Node,
    render,
    render_error,
)
from tastemaker.api.routers.maloja import maloja_handlers
from tastemaker.api.routers.native import platform_of
from tastemaker.errors import BackendUnavailable, Forbidden
from tastemaker.events.ingest import validate_items
from tastemaker.platform import Platform
from tastemaker.storage.models import Listen, User

log = logging.getLogger(__name__)
NOW_PLAYING_S = 600
"""How long a now-playing track without a duration stays shown."""
_state_lock = threading.Lock()


@dataclass
class Call:
    platform: Platform
    params: dict[str, str]
    user: User | None
    metrics: Any
    now_playing: NowPlaying


class NowPlaying:
    """Now-playing tracks per user, in this process's memory only: they expire with the track."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tracks: dict[str, tuple[float, dict[str, str]]] = {}

    def set(self, user: str, fields: dict[str, str], seconds: float) -> None:
        with self._lock:
            self._tracks[user] = (time.monotonic() + seconds, fields)

    def get(self, user: str) -> dict[str, str] | None:
        with self._lock:
            until, fields = self._tracks.get(user, (0.0, {}))
            if until < time.monotonic():
                self._tracks.pop(user, None)
                return None
            return fields


def _now_playing(request: Request[Any, Any, Any]) -> NowPlaying:
    state = request.app.state
    with _state_lock:
        if "lastfm_now_playing" not in state:
            state["lastfm_now_playing"] = NowPlaying()
    found: NowPlaying = state["lastfm_now_playing"]
    return found


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        msg = f"Invalid parameters - {name} must be a whole number from {low} to {high}"
        raise LastfmError(INVALID_PARAMETERS, msg)
    return value


def _time(params: Mapping[str, str], name: str) -> datetime | None:
    if not params.get(name, "").strip():
        return None
    return datetime.fromtimestamp(_int(params, name, 0, 0, 2**33), tz=UTC)


def _append(call: Call, items: list[Any]) -> tuple[int, list[dict[str, Any]]]:
    """Validate and append like ``POST /v1/events``; returns the accepted count and per-item errors."""
    user = _user(call)
    events, errors = validate_items(
        items,
        now=datetime.now(UTC),
        future_tolerance=timedelta(seconds=call.platform.config["future_tolerance_s"]),
        user=user.name,
        admin=False,
        loc_prefix=("scrobbles",),
    )
    for _ in errors:
        call.metrics.events_rejected.labels("play").inc()
    if events:
        call.platform.event_log.append(events)
        call.metrics.events_accepted.inc(len(events))
    return len(events), errors


def _user(call: Call) -> User:
    if call.user is None:
        raise LastfmError(LOGIN_REQUIRED, "Login: User required to be logged in - send sk (a session key)")
    return call.user


def _reader(call: Call) -> str:
    """Listening history is private, as in the native API: only the session's own user is readable."""
    user = _user(call)
    name = call.params.get("user") or user.name
    if name != user.name and not user.admin:
        raise LastfmError(LOGIN_REQUIRED, f"Login: this session may only read user {user.name!r}")
    return name


def get_mobile_session(call: Call) -> Node:
    name, key = open_session(call.platform.store, call.params)
    return Node("session", children=[Node("name", name), Node("key", key), Node("subscriber", "0")])


def scrobble(call: Call) -> Node:
    user = _user(call)
    fields = scrobble_fields(call.params)
    items = [play_item(f, user=user.name, index=i) for i, f in enumerate(fields)]
    accepted, errors = _append(call, items)
    by_index = {e["loc"][1]: e for e in errors}
    nodes = []
    for index, item_fields in enumerate(fields):
        error = by_index.get(index)
        if error is None:
            nodes.append(scrobble_node(item_fields, 0, ""))
        else:
            nodes.append(scrobble_node(item_fields, ignored_code(item_fields, error), error["msg"]))
    attrs = {"accepted": str(accepted), "ignored": str(len(errors))}
    return Node("scrobbles", attrs=attrs, children=nodes, attr_json=True)


def update_now_playing(call: Call) -> Node:
    user = _user(call)
    require(call.params, "artist", "track")
    fields = {k: call.params[k] for k in ("artist", "track", "album", "albumArtist") if call.params.get(k)}
    duration = _int(call.params, "duration", 0, 0, 7 * 24 * 3600)
    call.now_playing.set(user.name, fields, duration or NOW_PLAYING_S)
    return scrobble_node(fields, 0, "", tag="nowplaying")


def _love(kind: str) -> Callable[[Call], Node | None]:
    def handle(call: Call) -> Node | None:
        user = _user(call)
        artist, track = require(call.params, "artist", "track")
        item = {"type": kind, "user_id": user.name, "ts": time.time()}
        item |= {"artist_name": artist, "track_name": track}
        _, errors = _append(call, [item])
        if errors:
            raise LastfmError(INVALID_PARAMETERS, f"Invalid parameters - {errors[0]['msg']}")
        return None

    return handle


def _date(ts: datetime) -> Node:
    return Node("date", f"{ts.day} {ts:%b %Y, %H:%M}", {"uts": str(int(ts.timestamp()))})


def _named(tag: str, text: str | None, extended: bool) -> Node:
    if extended:
        return Node(tag, children=[Node("name", text or ""), Node("mbid", ""), Node("url", "")])
    return Node(tag, text or "", {"mbid": ""})


def _track(listen: Listen | None, fields: Mapping[str, str], extended: bool) -> Node:
    track = listen.track_name if listen else fields.get("track")
    children = [
        _named("artist", listen.artist_name if listen else fields.get("artist"), extended),
        Node("name", track or ""),
        Node("streamable", "0"),
        Node("mbid", ""),
        Node("album", (listen.album_name if listen else fields.get("album")) or "", {"mbid": ""}),
        Node("url", ""),
    ]
    if listen is not None:
        children.append(_date(listen.ts))
    attrs = {} if listen else {"nowplaying": "true"}
    return Node("track", attrs=attrs, children=children, attr_json=True, many=True)


def _list_attrs(user: str, page: int, limit: int, total: int, **more: str) -> dict[str, str]:
    pages = max(1, -(-total // limit))
    attrs = {"user": user, "page": str(page), "perPage": str(limit), "totalPages": str(pages)}
    return {**attrs, "total": str(total), **more}


def recent_tracks(call: Call) -> Node:
    name = _reader(call)
    params = call.params
    limit, page = _int(params, "limit", 50, 1, 1000), _int(params, "page", 1, 1, 1_000_000)
    extended = params.get("extended", "0") == "1"
    found = recent_listens(
        call.platform.store,
        name,
        limit=limit,
        page=page,
        start=_time(params, "from"),
        end=_time(params, "to"),
    )
    tracks = [_track(listen, {}, extended) for listen in found.listens]
    playing = call.now_playing.get(name)
    if playing is not None and page == 1:
        tracks.insert(0, _track(None, playing, extended))
    attrs = _list_attrs(name, page, limit, found.total)
    return Node("recenttracks", attrs=attrs, children=tracks, attr_json=True)


def _period(call: Call) -> tuple[str, int, int, list[Listen]]:
    name = _reader(call)
    period = call.params.get("period") or "overall"
    if period not in PERIOD_DAYS:
        msg = f"Invalid parameters - period must be one of {', '.join(PERIOD_DAYS)}"
        raise LastfmError(INVALID_PARAMETERS, msg)
    limit, page = _int(call.params, "limit", 50, 1, 1000), _int(call.params, "page", 1, 1, 1_000_000)
    plays = plays_since(call.platform.store, name, period_start(period, datetime.now(UTC)))
    return period, limit, page, plays


def _rank(rank: int) -> dict[str, str]:
    return {"rank": str(rank)}


def user_top_artists(call: Call) -> Node:
    period, limit, page, plays = _period(call)
    ranked = top_artists(plays)
    start = (page - 1) * limit
    nodes = [
        Node(
            "artist",
            attrs=_rank(start + i + 1),
            children=[Node("name", artist), Node("playcount", str(count)), Node("mbid", ""), Node("url", "")],
            attr_json=True,
            many=True,
        )
        for i, (artist, count) in enumerate(ranked[start : start + limit])
    ]
    attrs = _list_attrs(_reader(call), page, limit, len(ranked), type=period)
    return Node("topartists", attrs=attrs, children=nodes, attr_json=True)


def user_top_tracks(call: Call) -> Node:
    period, limit, page, plays = _period(call)
    ranked = top_tracks(plays)
    start = (page - 1) * limit
    nodes = [
        Node(
            "track",
            attrs=_rank(start + i + 1),
            children=[
                Node("name", listen.track_name or ""),
                Node("playcount", str(count)),
                Node("mbid", ""),
                Node("url", ""),
                _named("artist", listen.artist_name, extended=True),
            ],
            attr_json=True,
            many=True,
        )
        for i, (listen, count) in enumerate(ranked[start : start + limit])
    ]
    attrs = _list_attrs(_reader(call), page, limit, len(ranked), type=period)
    return Node("toptracks", attrs=attrs, children=nodes, attr_json=True)


@dataclass(frozen=True)
class Method:
    handle: Callable[[Call], Node | None]
    session: bool
    """Needs ``sk`` (write methods and the private reads); every call with ``sk`` must be signed."""
    signed: bool = True
    scope: str = WRITE
    """The token scope the session's user needs: Last.fm's method, not the HTTP verb, says it writes."""


METHODS: dict[str, Method] = {
    "auth.getmobilesession": Method(get_mobile_session, session=False),
    "track.scrobble": Method(scrobble, session=True),
    "track.updatenowplaying": Method(update_now_playing, session=True),
    "track.love": Method(_love("like"), session=True),
    "track.unlove": Method(_love("unlike"), session=True),
    "user.getrecenttracks": Method(recent_tracks, session=True, signed=False, scope=READ),
    "user.gettopartists": Method(user_top_artists, session=True, signed=False, scope=READ),
    "user.gettoptracks": Method(user_top_tracks, session=True, signed=False, scope=READ),
}


def dispatch(
    platform: Platform, params: dict[str, str], metrics: Any, now_playing: NowPlaying
) -> Node | None:
    name = params.get("method", "")
    method = METHODS.get(name.lower())
    if method is None:
        raise LastfmError(INVALID_METHOD, "Invalid Method - No method with that name in this package")
    api_key, secret = credentials(platform.config)
    check_api_key(params, api_key)
    if method.signed or params.get("sk"):
        check_signature(params, secret)
    user = None
    if method.session:
        user = session_user(platform.store, require(params, "sk")[0])
        try:
            Principal(user.name, scopes_of(user)).require_scope(method.scope)
        except Forbidden as exc:
            raise LastfmError(AUTH_FAILED, f"Authentication Failed - {exc}") from None
    return method.handle(Call(platform, params, user, metrics, now_playing))


def _decode(raw: bytes) -> list[tuple[str, str]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LastfmError(INVALID_PARAMETERS, "Invalid parameters - the request is not UTF-8") from None
    return parse_qsl(text, keep_blank_values=True)


def _format(request: Request[Any, Any, Any]) -> str:
    fmt: str = request.state.get("lastfm_format") or request.query_params.get("format", "xml")
    return fmt


@route("/2.0/", http_method=["GET", "POST"], summary="Last.fm 2.0 API (method=… in query or form)")
async def lastfm_api(request: Request[Any, Any, Any]) -> Response[bytes]:
    params = dict(_decode(request.scope["query_string"]))
    request.state["lastfm_format"] = params.get("format", "xml")
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if content_type in ("", "application/x-www-form-urlencoded"):
            params.update(_decode(body))
        elif body.strip():
            msg = "Invalid parameters - send application/x-www-form-urlencoded"
            raise LastfmError(INVALID_PARAMETERS, msg)
    fmt = request.state["lastfm_format"] = params.get("format", "xml")
    platform = platform_of(request)
    node = await anyio.to_thread.run_sync(
        dispatch, platform, params, request.app.state.metrics, _now_playing(request)
    )
    return render(node, fmt)


def _handle_lastfm(request: Request[Any, Any, Any], exc: LastfmError) -> Response[bytes]:
    return render_error(exc, _format(request))


def _handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    code = INVALID_PARAMETERS if exc.status_code < 500 else OPERATION_FAILED
    return render_error(LastfmError(code, f"Invalid parameters - {exc.detail}"), _format(request))


def _handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    if isinstance(exc, BackendUnavailable):
        return render_error(LastfmError(SERVICE_OFFLINE, f"Service Offline - {exc}"), _format(request))
    log.exception("unhandled error in the Last.fm API", exc_info=exc)
    error = LastfmError(OPERATION_FAILED, "Operation failed - the server log has the details")
    return render_error(error, _format(request))


lastfm_router = Router(
    path="/",
    route_handlers=[lastfm_api, *maloja_handlers],
    tags=["lastfm"],
    exception_handlers={
        LastfmError: _handle_lastfm,
        HTTPException: _handle_http,
        Exception: _handle_unexpected,
    },
)
