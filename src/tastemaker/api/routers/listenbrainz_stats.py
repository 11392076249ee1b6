"""User statistics in ListenBrainz's shapes, counted from the stored plays of a time range.

ListenBrainz computes stats in nightly batches; we count on request from the user's own
partitions, so they are always current (``last_updated`` is the time of the request).
Ranges follow ListenBrainz: ``this_*`` run from the start of the current period to now, the others
are the last complete period (``week`` is last Monday to Monday), ``all_time`` is everything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tastemaker.api.routers.listenbrainz_history import plays_between
from tastemaker.platform import Platform
from tastemaker.storage.models import Listen

RANGES = (
    "this_week",
    "this_month",
    "this_year",
    "week",
    "month",
    "quarter",
    "year",
    "half_yearly",
    "all_time",
)
ENTITIES = ("artists", "recordings", "releases")


def _month_start(year: int, month: int) -> datetime:
    """The first instant of a month, counting months past December or before January."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=UTC)


def range_bounds(name: str, now: datetime) -> tuple[datetime | None, datetime]:
    """``[start, end)`` of a range; start None means since the first listen."""
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    monday = today - timedelta(days=today.weekday())
    first_half = 1 if now.month <= 6 else 7
    bounds: dict[str, Callable[[], tuple[datetime | None, datetime]]] = {
        "this_week": lambda: (monday, now),
        "this_month": lambda: (_month_start(now.year, now.month), now),
        "this_year": lambda: (datetime(now.year, 1, 1, tzinfo=UTC), now),
        "week": lambda: (monday - timedelta(days=7), monday),
        "month": lambda: (_month_start(now.year, now.month - 1), _month_start(now.year, now.month)),
        "quarter": lambda: (
            _month_start(now.year, (now.month - 1) // 3 * 3 + 1 - 3),
            _month_start(now.year, (now.month - 1) // 3 * 3 + 1),
        ),
        "half_yearly": lambda: (
            _month_start(now.year, first_half - 6),
            _month_start(now.year, first_half),
        ),
        "year": lambda: (datetime(now.year - 1, 1, 1, tzinfo=UTC), datetime(now.year, 1, 1, tzinfo=UTC)),
        "all_time": lambda: (None, now),
    }
    return bounds[name]()


def _artist_key(listen: Listen) -> tuple[str, ...]:
    return (listen.artist_name or "",)


def _recording_key(listen: Listen) -> tuple[str, ...]:
    return (listen.track_id, listen.track_name or "", listen.artist_name or "", listen.album_name or "")


def _release_key(listen: Listen) -> tuple[str, ...]:
    return (listen.album_name or "", listen.artist_name or "")


def _artist_item(key: tuple[str, ...], platform: Platform) -> dict[str, Any]:
    return {"artist_name": key[0], "artist_mbids": []}


def _recording_item(key: tuple[str, ...], platform: Platform) -> dict[str, Any]:
    track = platform.tracks.get_many([key[0]]).get(key[0])
    return {
        "track_name": key[1],
        "artist_name": key[2],
        "release_name": key[3] or None,
        "recording_mbid": track.recording_mbid if track else None,
        "recording_msid": key[0],
        "release_mbid": None,
        "artist_mbids": [],
    }


def _release_item(key: tuple[str, ...], platform: Platform) -> dict[str, Any]:
    return {"release_name": key[0], "artist_name": key[1], "release_mbid": None, "artist_mbids": []}


_ENTITY: dict[str, tuple[Callable[[Listen], tuple[str, ...]], Callable[..., dict[str, Any]], str]] = {
    "artists": (_artist_key, _artist_item, "total_artist_count"),
    "recordings": (_recording_key, _recording_item, "total_recording_count"),
    "releases": (_release_key, _release_item, "total_release_count"),
}


def user_stats(
    platform: Platform, user: str, entity: str, *, range_name: str, count: int, offset: int, now: datetime
) -> dict[str, Any] | None:
    """The payload of one stats request, or None when the user has no plays in the range."""
    key_of, item_of, total_name = _ENTITY[entity]
    start, end = range_bounds(range_name, now)
    min_ts = int(start.timestamp()) - 1 if start is not None else None
    counts: Counter[tuple[str, ...]] = Counter()
    first_ts = None
    max_ts = int(end.timestamp()) + (1 if end == now else 0)
    for listen in plays_between(platform, user, min_ts, max_ts):
        if entity == "releases" and not listen.album_name:
            continue
        counts[key_of(listen)] += 1
        first_ts = int(listen.ts.timestamp())
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[offset : offset + count]
    items = [{**item_of(key, platform), "listen_count": n} for key, n in ranked]
    return {
        "payload": {
            entity: items,
            "count": len(items),
            "offset": offset,
            "range": range_name,
            total_name: len(counts),
            "user_id": user,
            "from_ts": int(start.timestamp()) if start is not None else first_ts,
            "to_ts": int(end.timestamp()),
            "last_updated": int(now.timestamp()),
        }
    }
