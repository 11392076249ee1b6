"""The native API under ``/v1``: ingest events, read listens, profiles and tracks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, QueryParameter

from tastemaker.api.auth import Principal, authorize
from tastemaker.api.body import decode_events
from tastemaker.api.errors import error_response
from tastemaker.errors import NotFound
from tastemaker.events.ingest import validate_items
from tastemaker.platform import Platform, profile_params
from tastemaker.profiles.profile import decode as decode_profile
from tastemaker.profiles.profile import summary

_encoder = msgspec.json.Encoder()


def json_response(body: Any, status: int = 200) -> Response[bytes]:
    return Response(_encoder.encode(body), status_code=status, media_type="application/json")


def platform_of(request: Request[Any, Any, Any]) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    """Who sent the request, once they have the scope its method needs (401/403 otherwise)."""
    platform = platform_of(request)
    return authorize(
        request.headers.get("authorization"),
        platform.store,
        method=request.method,
        admin_token=platform.config["admin_token"],
    )


@post("/events", status_code=202, summary="Send listening events (JSON {events: [...]} or NDJSON)")
async def post_events(request: Request[Any, Any, Any]) -> Response[bytes]:
    platform = platform_of(request)
    principal = principal_of(request)
    body = await request.body()
    items = decode_events(
        body,
        request.headers.get("content-type", "application/json"),
        max_events=platform.config["max_batch_events"],
    )
    events, errors = validate_items(
        items,
        now=datetime.now(UTC),
        future_tolerance=timedelta(seconds=platform.config["future_tolerance_s"]),
        user=principal.name,
        admin=principal.admin,
    )
    metrics = request.app.state.metrics
    for item in errors:
        metrics.events_rejected.labels(item["type"]).inc()
    if events:
        await anyio.to_thread.run_sync(platform.event_log.append, events)
        metrics.events_accepted.inc(len(events))
    accepted = [e.event_id for e in events]
    if not events:
        return error_response(400, f"all {len(errors)} events were rejected", errors, accepted=[])
    if errors:
        error = f"{len(errors)} of {len(items)} events were rejected; {len(accepted)} were accepted"
        return json_response(
            {"ok": False, "status": 202, "error": error, "errors": errors, "accepted": accepted}, 202
        )
    return json_response({"ok": True, "status": 202, "accepted": accepted, "errors": []}, 202)


@get("/users/{user_id:str}/listens", summary="A user's listening history, newest first", sync_to_thread=True)
def get_listens(
    request: Request[Any, Any, Any],
    user_id: FromPath[str],
    count: Annotated[int, QueryParameter(ge=1, le=1000)] = 25,
    offset: Annotated[int, QueryParameter(ge=0)] = 0,
) -> Response[bytes]:
    principal_of(request).require_user(user_id)
    store = platform_of(request).store
    days = store.listen_days(user_id)
    total = sum(n for _, n in days)
    listens: list[Any] = []
    skip = offset
    for day, n in days:
        if len(listens) >= count:
            break
        if skip >= n:
            skip -= n
            continue
        chunk = store.listens(user_id, day)[skip : skip + count - len(listens)]
        skip = 0
        listens.extend(chunk)
    return json_response(
        {"user_id": user_id, "listens": listens, "total": total, "count": len(listens), "offset": offset}
    )


@get("/users/{user_id:str}/profile", summary="A user's Taste Profile", sync_to_thread=True)
def get_profile(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[bytes]:
    principal_of(request).require_user(user_id)
    platform = platform_of(request)
    data = platform.store.get_profile(user_id)
    if data is None:
        msg = f"no Taste Profile for user {user_id!r} yet: it appears after the user's first play"
        raise NotFound(msg)
    view = summary(decode_profile(data), profile_params(platform.config))
    _name_tracks(platform, view["top_tracks"])
    return json_response(view)


def _name_tracks(platform: Platform, top: dict[str, list[dict[str, Any]]]) -> None:
    """Profiles hold track ids; people read names (one multi-get by partition key)."""
    ids = {item["id"] for items in top.values() for item in items}
    tracks = platform.tracks.get_many(ids)
    for items in top.values():
        for item in items:
            track = tracks.get(item["id"])
            if track is not None:
                item["name"], item["artist_name"] = track.name, track.artist_name


@get("/tracks/{track_id:str}", summary="A catalog track with its features and labels", sync_to_thread=True)
def get_track(request: Request[Any, Any, Any], track_id: FromPath[str]) -> Response[bytes]:
    from tastemaker.api.stream_signing import stream_path

    principal_of(request)
    store = platform_of(request).store
    track = store.get_track(track_id)
    if track is None:
        msg = f"no track {track_id!r} in the catalog"
        raise NotFound(msg)
    body = msgspec.to_builtins(track)
    body["features"] = store.get_features(track_id)
    body["labels"] = store.get_labels(track_id)
    secret = request.app.state.stream_secret
    body["stream_url"] = (
        stream_path(secret, track_id, now=datetime.now(UTC).timestamp()) if track.audio_url else None
    )
    return json_response(body)


native_router = Router(
    path="/v1", route_handlers=[post_events, get_listens, get_profile, get_track], tags=["native"]
)
