"""user.getRecentTracks / getTopArtists / getTopTracks, read from the Store's listens by (user, day).

Recent tracks are every stored listen, as ``GET /v1/users/NAME/listens`` shows them; only the days at
the edges of a ``from``/``to`` range are read to count it, the others' counts come from ``listen_days``.
Top lists count the plays of the period's days.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tastemaker.storage.models import Listen
from tastemaker.storage.store import Store

PERIOD_DAYS = {"overall": None, "7day": 7, "1month": 30, "3month": 90, "6month": 180, "12month": 365}


@dataclass(frozen=True)
class Page:
    listens: list[Listen]
    total: int


def _within(listen: Listen, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or listen.ts >= start) and (end is None or listen.ts <= end)


def recent_listens(
    store: Store, user: str, *, limit: int, page: int, start: datetime | None, end: datetime | None
) -> Page:
    """One page of the user's listens in [start, end], newest first, and how many there are in all."""
    first, last = (start.date() if start else date.min), (end.date() if end else date.max)
    days: list[tuple[date, int, list[Listen] | None]] = []
    for day, count in store.listen_days(user):
        if first < day < last:
            days.append((day, count, None))
        elif day in (first, last):
            inside = [x for x in store.listens(user, day) if _within(x, start, end)]
            days.append((day, len(inside), inside))
    listens: list[Listen] = []
    skip = (page - 1) * limit
    for day, count, kept in days:
        if len(listens) >= limit:
            break
        if skip >= count:
            skip -= count
            continue
        chunk = store.listens(user, day) if kept is None else kept
        listens.extend(chunk[skip : skip + limit - len(listens)])
        skip = 0
    return Page(listens, sum(count for _, count, _ in days))


def period_start(period: str, now: datetime) -> datetime | None:
    days = PERIOD_DAYS[period]
    return None if days is None else now - timedelta(days=days)


def plays_since(store: Store, user: str, start: datetime | None) -> list[Listen]:
    """Every play (not skip) of the user since ``start`` (all of them for None)."""
    plays: list[Listen] = []
    for day, _ in store.listen_days(user):
        if start is not None and day < start.date():
            break
        plays.extend(x for x in store.listens(user, day) if x.kind == "play" and _within(x, start, None))
    return plays


def top_artists(plays: list[Listen]) -> list[tuple[str, int]]:
    counts = Counter(p.artist_name for p in plays if p.artist_name)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))


def top_tracks(plays: list[Listen]) -> list[tuple[Listen, int]]:
    """(a listen naming the track, plays) by track_id, most played first."""
    counts = Counter(p.track_id for p in plays)
    named = {p.track_id: p for p in plays}
    ranked = sorted(counts.items(), key=lambda item: (-item[1], (named[item[0]].track_name or "").casefold()))
    return [(named[track_id], count) for track_id, count in ranked]
