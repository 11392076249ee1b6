"""``GET /v1/users/{user}/top/{kind}``: a listener's top artists, genres or tracks over three horizons.

``short_term`` and ``medium_term`` read the Taste Profile's two decayed horizons (by default 7-day and
180-day half-lives), so they move as the listener does. ``long_term`` counts every play in the stored
history: all time, undecayed, so that "your most played" means what it says. Artists are keyed by
name, as the profile keys them, and genres are names already.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.params import FromPath, FromQuery, QueryParameter

from tastemaker.api.errors import ApiError
from tastemaker.api.routers.native import json_response, platform_of, principal_of
from tastemaker.platform import Platform, profile_params
from tastemaker.profiles import view
from tastemaker.profiles.profile import decode as decode_profile

KINDS = ("artists", "genres", "tracks")
TIME_RANGES = ("short_term", "medium_term", "long_term")
MAX_LIMIT = 50


def _check(name: str, value: str, choices: tuple[str, ...], where: str) -> None:
    if value not in choices:
        msg = f"{name} must be one of {', '.join(choices)}, not {value!r}"
        raise ApiError(400, msg, [{"loc": [where, name], "type": "invalid_parameter", "msg": msg}])


def _named_tracks(platform: Platform, items: list[dict[str, Any]]) -> None:
    tracks = platform.tracks.get_many(item["id"] for item in items)
    for item in items:
        track = tracks.get(item["id"])
        item["name"] = track.name if track else None
        item["artist_name"] = track.artist_name if track else None


def profile_top(
    platform: Platform, user_id: str, kind: str, *, long: bool, limit: int
) -> list[dict[str, Any]]:
    """The profile's ``limit`` strongest keys on one horizon; none without a profile yet."""
    data = platform.store.get_profile(user_id)
    if data is None:
        return []
    profile = decode_profile(data)
    params = profile_params(platform.config)
    table = {"artists": profile.artists, "genres": profile.genres, "tracks": profile.tracks}[kind]
    halves = (params.short_half_life_s, params.long_half_life_s)
    ranked = view.top(table, now=datetime.now(UTC).timestamp(), half_lives=halves, n=limit)
    items = [
        {"id": item["id"], "name": item["id"], "score": item["score"]} for item in ranked[view.HORIZONS[long]]
    ]
    if kind == "tracks":
        _named_tracks(platform, items)
    return items


def play_counts(platform: Platform, user_id: str, kind: str) -> tuple[Counter[str], int]:
    """All-time plays per track, artist or genre (a play counts for each genre of its track), and the
    number of plays. Skips are not plays."""
    store = platform.store
    by_track: Counter[str] = Counter()
    listened_artist: dict[str, str | None] = {}
    for day, _ in store.listen_days(user_id):
        for listen in store.listens(user_id, day):
            if listen.kind == "play":
                by_track[listen.track_id] += 1
                listened_artist.setdefault(listen.track_id, listen.artist_name)
    total = sum(by_track.values())
    if kind == "tracks":
        return by_track, total
    tracks = platform.tracks.get_many(by_track)
    counts: Counter[str] = Counter()
    for track_id, plays in by_track.items():
        track = tracks.get(track_id)
        if kind == "genres":
            for genre in track.genres if track else []:
                counts[genre] += plays
            continue
        artist = (track.artist_name if track else None) or listened_artist[track_id]
        if artist:
            counts[artist] += plays
    return counts, total


def history_top(platform: Platform, user_id: str, kind: str, *, limit: int) -> list[dict[str, Any]]:
    """The most played; ``score`` is the share of all plays, ties broken by id for a stable order."""
    counts, total = play_counts(platform, user_id, kind)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    items = [
        {"id": key, "name": key, "score": round(plays / total, 4), "plays": plays} for key, plays in ranked
    ]
    if kind == "tracks":
        _named_tracks(platform, items)
    return items


@get(
    "/users/{user_id:str}/top/{kind:str}",
    summary="A user's top artists, genres or tracks, short, medium (Taste Profile) or long term (all plays)",
    sync_to_thread=True,
)
def get_top(
    request: Request[Any, Any, Any],
    user_id: FromPath[str],
    kind: FromPath[str],
    time_range: FromQuery[str] = "medium_term",
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 20,
) -> Response[bytes]:
    principal_of(request).require_user(user_id)
    _check("kind", kind, KINDS, "path")
    _check("time_range", time_range, TIME_RANGES, "query")
    platform = platform_of(request)
    if time_range == "long_term":
        items = history_top(platform, user_id, kind, limit=limit)
    else:
        items = profile_top(platform, user_id, kind, long=time_range == "medium_term", limit=limit)
    return json_response({"user_id": user_id, "kind": kind, "time_range": time_range, "items": items})


top_router = Router(path="/v1", route_handlers=[get_top], tags=["native"])
