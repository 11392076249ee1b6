"""ListenBrainz-compatible API at the server root (``/1/…``): scrobblers, Navidrome, Jellyfin and
liblistenbrainz work with only their base URL changed. docs/integrations/listenbrainz.md has the
endpoints and how they differ from ListenBrainz (reads need the user's token, for privacy).

Listens enter as ``play`` events through the same ``validate_items`` + ``event_log.append`` path as
``POST /v1/events``; everything read here comes from the Store the consumers fill.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import anyio
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, QueryParameter

from tastemaker.api.auth import authenticate
from tastemaker.api.errors import ApiError
from tastemaker.api.routers.listenbrainz_errors import LB_EXCEPTION_HANDLERS
from tastemaker.api.routers.listenbrainz_history import listens_view, page_of_listens, plays_between
from tastemaker.api.routers.listenbrainz_now import PlayingNow
from tastemaker.api.routers.listenbrainz_stats import RANGES, user_stats
from tastemaker.api.routers.listenbrainz_submit import decode_body, duration_ms, play_item, submitted_listens
from tastemaker.api.routers.listenbrainz_taste import feedback_item, recommendations_view
from tastemaker.api.routers.native import json_response, platform_of, principal_of
from tastemaker.api.routers.playlists import live_model
from tastemaker.errors import NotFound, Unauthorized
from tastemaker.events.ingest import validate_items

OK = {"status": "ok"}
_Count = Annotated[int, QueryParameter(ge=1, le=1000)]
_StatsCount = Annotated[int, QueryParameter(ge=1, le=100)]
_Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]
_Ts = Annotated[int | None, QueryParameter(ge=0, le=2**40)]


_state_lock = threading.Lock()


def _playing_now(request: Request[Any, Any, Any]) -> PlayingNow:
    """One per app, made on first use (handlers run in several threads)."""
    state = request.app.state
    with _state_lock:
        if "lb_playing_now" not in state:
            state.lb_playing_now = PlayingNow()
        now: PlayingNow = state.lb_playing_now
    return now


def _reader(request: Request[Any, Any, Any], user_name: str) -> None:
    """Unlike ListenBrainz, whose reads are public, only the user (or an admin) reads their listens."""
    principal = principal_of(request)
    principal.require_user(user_name)
    if principal.name != user_name and platform_of(request).store.get_user(user_name) is None:
        msg = f"Cannot find user: {user_name}"
        raise NotFound(msg)


async def _append(request: Request[Any, Any, Any], items: list[dict[str, Any]], user: str) -> None:
    """Validate and append all items, or none: ListenBrainz rejects a request with any bad listen."""
    platform = platform_of(request)
    events, errors = validate_items(
        items,
        now=datetime.now(UTC),
        future_tolerance=timedelta(seconds=platform.config["future_tolerance_s"]),
        user=user,
        admin=False,
        loc_prefix=("payload",),
    )
    if errors:
        first = errors[0]
        where = "payload" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"][1:])
        raise ApiError(400, f"{where}: {first['msg']}")
    await anyio.to_thread.run_sync(platform.event_log.append, events)
    request.app.state.metrics.events_accepted.inc(len(events))


@post("/submit-listens", status_code=200, summary="Submit listens (single, import) or what is playing now")
async def submit_listens(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal = principal_of(request)
    listen_type, payload = submitted_listens(decode_body(await request.body()))
    if listen_type == "playing_now":
        metadata = payload[0]["track_metadata"]
        _playing_now(request).put(
            principal.name, metadata, duration_ms(metadata.get("additional_info") or {})
        )
        return json_response(OK)
    await _append(request, [play_item(listen, principal.name) for listen in payload], principal.name)
    return json_response(OK)


@get("/validate-token", summary="Check a token (Authorization header or ?token=)", sync_to_thread=True)
def validate_token(request: Request[Any, Any, Any], token: FromQuery[str | None] = None) -> Response[bytes]:
    platform = platform_of(request)
    header = request.headers.get("authorization") or (f"Token {token}" if token else None)
    if not header:
        raise ApiError(400, "You need to provide an Authorization token.")
    try:
        principal = authenticate(header, platform.store, admin_token=platform.config["admin_token"])
    except Unauthorized:
        return json_response({"code": 200, "message": "Token invalid.", "valid": False})
    return json_response({"code": 200, "message": "Token valid.", "valid": True, "user_name": principal.name})


@get("/user/{user_name:str}/listens", summary="A user's listens, newest first", sync_to_thread=True)
def get_listens(
    request: Request[Any, Any, Any],
    user_name: FromPath[str],
    min_ts: _Ts = None,
    max_ts: _Ts = None,
    count: _Count = 25,
) -> Response[bytes]:
    _reader(request, user_name)
    platform = platform_of(request)
    listens = page_of_listens(platform, user_name, min_ts=min_ts, max_ts=max_ts, count=count)
    return json_response(listens_view(platform, user_name, listens))


@get("/user/{user_name:str}/listen-count", summary="How many listens a user has", sync_to_thread=True)
def get_listen_count(request: Request[Any, Any, Any], user_name: FromPath[str]) -> Response[bytes]:
    _reader(request, user_name)
    count = sum(1 for _ in plays_between(platform_of(request), user_name, None, None))
    return json_response({"payload": {"count": count}})


@get("/user/{user_name:str}/playing-now", summary="What a user is playing now", sync_to_thread=True)
def get_playing_now(request: Request[Any, Any, Any], user_name: FromPath[str]) -> Response[bytes]:
    _reader(request, user_name)
    metadata = _playing_now(request).get(user_name)
    listens = [{"playing_now": True, "track_metadata": metadata, "user_name": user_name}] if metadata else []
    return json_response(
        {"payload": {"count": len(listens), "listens": listens, "playing_now": True, "user_id": user_name}}
    )


def _stats(
    request: Request[Any, Any, Any], user_name: str, entity: str, range_: str, count: int, offset: int
) -> Response[bytes]:
    _reader(request, user_name)
    if range_ not in RANGES:
        raise ApiError(400, f"Invalid range: {range_!r}; expected one of {', '.join(RANGES)}")
    body = user_stats(
        platform_of(request),
        user_name,
        entity,
        range_name=range_,
        count=count,
        offset=offset,
        now=datetime.now(UTC),
    )
    return json_response(body) if body is not None else Response(b"", status_code=204)


_Range = Annotated[str, QueryParameter(name="range", description=", ".join(RANGES))]


@get("/stats/user/{user_name:str}/artists", summary="A user's top artists in a range", sync_to_thread=True)
def stats_artists(
    request: Request[Any, Any, Any],
    user_name: FromPath[str],
    range_: _Range = "all_time",
    count: _StatsCount = 25,
    offset: _Offset = 0,
) -> Response[bytes]:
    return _stats(request, user_name, "artists", range_, count, offset)


@get(
    "/stats/user/{user_name:str}/recordings",
    summary="A user's top recordings in a range",
    sync_to_thread=True,
)
def stats_recordings(
    request: Request[Any, Any, Any],
    user_name: FromPath[str],
    range_: _Range = "all_time",
    count: _StatsCount = 25,
    offset: _Offset = 0,
) -> Response[bytes]:
    return _stats(request, user_name, "recordings", range_, count, offset)


@get("/stats/user/{user_name:str}/releases", summary="A user's top releases in a range", sync_to_thread=True)
def stats_releases(
    request: Request[Any, Any, Any],
    user_name: FromPath[str],
    range_: _Range = "all_time",
    count: _StatsCount = 25,
    offset: _Offset = 0,
) -> Response[bytes]:
    return _stats(request, user_name, "releases", range_, count, offset)


@get(
    "/cf/recommendation/user/{user_name:str}/recording",
    summary="Recordings recommended by the trained model (204 before the first `tastemaker train`)",
    sync_to_thread=True,
)
def get_recommendations(
    request: Request[Any, Any, Any],
    user_name: FromPath[str],
    count: _Count = 25,
    offset: _Offset = 0,
    artist_type: Annotated[str | None, QueryParameter(description="accepted and ignored")] = None,
) -> Response[bytes]:
    _reader(request, user_name)
    try:
        model = live_model(request)
    except ApiError:
        return Response(b"", status_code=204)
    body = recommendations_view(platform_of(request), model, user_name, count=count, offset=offset)
    return json_response(body) if body is not None else Response(b"", status_code=204)


@post("/feedback/recording-feedback", status_code=200, summary="Love (1), hate (-1) or clear (0) a recording")
async def recording_feedback(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal = principal_of(request)
    document = decode_body(await request.body())
    platform = platform_of(request)
    item = await anyio.to_thread.run_sync(
        feedback_item, platform, principal.name, document, datetime.now(UTC)
    )
    await _append(request, [item], principal.name)
    return json_response(OK)


listenbrainz_router = Router(
    path="/1",
    route_handlers=[
        submit_listens,
        validate_token,
        get_listens,
        get_listen_count,
        get_playing_now,
        stats_artists,
        stats_recordings,
        stats_releases,
        get_recommendations,
        recording_feedback,
    ],
    tags=["listenbrainz"],
    exception_handlers=LB_EXCEPTION_HANDLERS,
)
