"""``/me`` endpoints for the token's user: the user object, top tracks/artists, recently played.

Top items come from the Taste Profile, which keeps a short- and a long-half-life score per track and
artist (7 and 180 days by default): ``short_term`` ranks by the first, ``medium_term`` and
``long_term`` by the second (there is no third horizon). Recently played reads the stored listens.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.params import FromPath

from tastemaker.api.routers.native import json_response, platform_of, principal_of
from tastemaker.api.routers.spotify_errors import SpotifyError
from tastemaker.api.routers.spotify_objects import (
    api_base,
    artist_object,
    paging,
    simplified_artist,
    track_object,
    user_object,
)
from tastemaker.api.routers.spotify_params import int_param
from tastemaker.platform import profile_params
from tastemaker.profiles import view
from tastemaker.profiles.profile import decode as decode_profile
from tastemaker.storage.models import Listen

HORIZON = {"short_term": "short_term", "medium_term": "long_term", "long_term": "long_term"}
MAX_RECENT = 50


@get("/v1/me", summary="Spotify: the token's user", sync_to_thread=True)
def get_me(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal = principal_of(request)
    return json_response(user_object(api_base(request), principal.name))


@get(
    "/v1/me/top/{kind:str}",
    summary="Spotify: your top tracks or artists (Taste Profile)",
    sync_to_thread=True,
)
def get_top(request: Request[Any, Any, Any], kind: FromPath[str]) -> Response[bytes]:
    principal = principal_of(request)
    if kind not in ("tracks", "artists"):
        raise SpotifyError(404, f"no top {kind[:40]!r}: expected me/top/tracks or me/top/artists")
    time_range = request.query_params.get("time_range", "medium_term")
    if time_range not in HORIZON:
        raise SpotifyError(
            400, f"time_range = {time_range[:40]!r}: expected short_term, medium_term or long_term"
        )
    limit = int_param(request, "limit", 20, 1, 50)
    offset = int_param(request, "offset", 0, 0, 10_000)
    platform = platform_of(request)
    data = platform.store.get_profile(principal.name)
    ranked: list[str] = []
    if data is not None:
        profile = decode_profile(data)
        params = profile_params(platform.config)
        table = profile.tracks if kind == "tracks" else profile.artists
        top = view.top(
            table,
            now=datetime.now(UTC).timestamp(),
            half_lives=(params.short_half_life_s, params.long_half_life_s),
            n=len(table),
        )
        ranked = [item["id"] for item in top[HORIZON[time_range]]]
    page = ranked[offset : offset + limit]
    base = api_base(request)
    items: list[dict[str, Any]]
    if kind == "tracks":
        found = platform.store.get_tracks(page)
        items = [track_object(base, found[t]) for t in page if t in found]
    else:
        artists = [(a, platform.store.get_artist(a)) for a in page]
        items = [artist_object(base, row) if row else simplified_artist(base, a, None) for a, row in artists]
    url = f"{base}/me/top/{kind}"
    return json_response(
        paging(url, {"time_range": time_range}, items, limit=limit, offset=offset, total=len(ranked))
    )


def _cursor(request: Request[Any, Any, Any], name: str) -> int | None:
    """A Unix-ms cursor, or None when absent."""
    return int_param(request, name, 0, 0, 2**53) if name in request.query_params else None


def _ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def _recent(
    request: Request[Any, Any, Any], user: str, limit: int, after: int | None, before: int | None
) -> list[Listen]:
    """Plays newest first, strictly after ``after`` or before ``before`` (Unix ms), day by day."""
    store = platform_of(request).store
    found: list[Listen] = []
    for day, _ in store.listen_days(user):
        day_start = _ms(datetime(day.year, day.month, day.day, tzinfo=UTC))
        if before is not None and day_start >= before:
            continue
        if after is not None and day_start + 86_400_000 <= after:
            break
        for listen in store.listens(user, day):
            ms = _ms(listen.ts)
            if listen.kind == "play" and (before is None or ms < before) and (after is None or ms > after):
                found.append(listen)
        if after is None and len(found) >= limit:
            break
    return found[-limit:] if after is not None else found[:limit]


@get("/v1/me/player/recently-played", summary="Spotify: your recent plays, cursor paged", sync_to_thread=True)
def get_recently_played(request: Request[Any, Any, Any]) -> Response[bytes]:
    principal = principal_of(request)
    limit = int_param(request, "limit", 20, 1, MAX_RECENT)
    after, before = _cursor(request, "after"), _cursor(request, "before")
    if after is not None and before is not None:
        raise SpotifyError(400, "give after or before, not both")
    listens = _recent(request, principal.name, limit, after, before)
    found = platform_of(request).store.get_tracks({listen.track_id for listen in listens})
    base = api_base(request)
    url = f"{base}/me/player/recently-played"
    items = [
        {
            "track": track_object(base, found[listen.track_id]),
            "played_at": listen.ts.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "context": None,
        }
        for listen in listens
        if listen.track_id in found
    ]
    cursors = {"after": str(_ms(listens[0].ts)), "before": str(_ms(listens[-1].ts))} if listens else None
    more = len(listens) == limit
    cursor = {"after": after} if after is not None else {"before": before} if before is not None else {}
    return json_response(
        {
            "href": f"{url}?{urlencode({'limit': limit, **cursor})}",
            "items": items,
            "limit": limit,
            "next": f"{url}?{urlencode({'limit': limit, 'before': _ms(listens[-1].ts)})}" if more else None,
            "cursors": cursors,
            "total": None,
        }
    )


ME_HANDLERS = [get_me, get_top, get_recently_played]
