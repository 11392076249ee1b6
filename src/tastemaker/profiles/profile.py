"""The Taste Profile: what a listener likes now and over the long run, updated per event in O(1).

The profile is stored as msgpack bytes in the Store (``profiles`` by user). Format version 1 is pinned
by a golden file in ``tests/golden/profiles/v1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from tastemaker.events.schema import Event, Like, Play, Skip, Unlike
from tastemaker.profiles.affinity import Affinity, add, at, prune
from tastemaker.storage.models import Track

FORMAT_VERSION = 1
DAY_S = 86400.0
FULL_LISTEN_MS = 180_000  # a play of unknown duration counts as complete after 3 minutes


class TasteProfile(msgspec.Struct, kw_only=True, gc=False):
    user_id: str
    version: int = FORMAT_VERSION
    plays: int = 0
    skips: int = 0
    likes: int = 0
    ms_played: int = 0
    first_listen: datetime | None = None
    last_listen: datetime | None = None
    tracks: dict[str, Affinity] = {}
    artists: dict[str, Affinity] = {}
    genres: dict[str, Affinity] = {}
    skips_by_context: dict[str, list[int]] = {}
    applied: dict[str, int] = {}
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProfileParams:
    short_half_life_s: float = 7 * DAY_S
    long_half_life_s: float = 180 * DAY_S
    top_k: int = 200


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(TasteProfile)


def encode(profile: TasteProfile) -> bytes:
    return _encoder.encode(profile)


def decode(data: bytes) -> TasteProfile:
    return _decoder.decode(data)


def _weight(event: Event, track: Track | None) -> float:
    """How much an event says about liking its track: completion for plays, negative for skips."""
    if isinstance(event, Play):
        duration = event.duration_ms or (track.duration_ms if track else None) or FULL_LISTEN_MS
        return min(1.0, event.ms_played / duration) if duration else 1.0
    if isinstance(event, Skip):
        return -0.5
    if isinstance(event, Like):
        return 2.0
    if isinstance(event, Unlike):
        return -2.0
    return 0.0


def _context_kind(context: str | None) -> str:
    if not context:
        return "unknown"
    return context.split(":", 1)[0]


def _count_listen(profile: TasteProfile, event: Play | Skip) -> None:
    profile.ms_played += event.ms_played
    if profile.first_listen is None or event.ts < profile.first_listen:
        profile.first_listen = event.ts
    if profile.last_listen is None or event.ts > profile.last_listen:
        profile.last_listen = event.ts
    counts = profile.skips_by_context.setdefault(_context_kind(event.context), [0, 0])
    if isinstance(event, Skip):
        profile.skips += 1
        counts[0] += 1
    else:
        profile.plays += 1
    counts[1] += 1


def apply_event(profile: TasteProfile, event: Event, track: Track | None, params: ProfileParams) -> None:
    """Fold one event into the profile. Touches at most one track, one artist and its genres."""
    if isinstance(event, Play | Skip):
        _count_listen(profile, event)
    elif isinstance(event, Like):
        profile.likes += 1
    elif not isinstance(event, Unlike):
        return
    weight = _weight(event, track)
    ts = event.ts.timestamp()
    short, long = params.short_half_life_s, params.long_half_life_s
    if event.track_id:
        _bump(profile.tracks, event.track_id, weight, ts, short, long, params.top_k)
    artist = (track.artist_name if track else None) or event.artist_name
    if artist:
        _bump(profile.artists, artist, weight, ts, short, long, params.top_k)
    if track is not None:
        for genre in track.genres:
            _bump(profile.genres, genre, weight, ts, short, long, params.top_k)


def _bump(
    table: dict[str, Affinity], key: str, weight: float, ts: float, short: float, long: float, keep: int
) -> None:
    score = table.get(key)
    if score is None:
        table[key] = Affinity(weight, weight, ts)
        prune(table, keep=keep)
    else:
        add(score, weight, ts=ts, short_half_life_s=short, long_half_life_s=long)


def _top(
    table: dict[str, Affinity], *, now: float, params: ProfileParams, n: int
) -> dict[str, list[dict[str, Any]]]:
    def ranked(long: bool) -> list[dict[str, Any]]:
        half = params.long_half_life_s if long else params.short_half_life_s
        scored = ((key, at(score, ts=now, half_life_s=half, long=long)) for key, score in table.items())
        best = sorted(scored, key=lambda item: item[1], reverse=True)[:n]
        return [{"id": key, "score": round(value, 4)} for key, value in best if value > 0]

    return {"short_term": ranked(False), "long_term": ranked(True)}


def summary(
    profile: TasteProfile, params: ProfileParams, *, now: datetime | None = None, n: int = 20
) -> dict[str, Any]:
    """The JSON view served at ``GET /v1/users/{user}/profile``."""
    now_s = (now or datetime.now(UTC)).timestamp()
    listens = profile.plays + profile.skips
    return {
        "user_id": profile.user_id,
        "plays": profile.plays,
        "skips": profile.skips,
        "likes": profile.likes,
        "minutes_listened": round(profile.ms_played / 60000, 1),
        "skip_rate": round(profile.skips / listens, 4) if listens else None,
        "skip_rate_by_context": {
            kind: round(skips / total, 4)
            for kind, (skips, total) in sorted(profile.skips_by_context.items())
            if total
        },
        "first_listen": profile.first_listen,
        "last_listen": profile.last_listen,
        "top_tracks": _top(profile.tracks, now=now_s, params=params, n=n),
        "top_artists": _top(profile.artists, now=now_s, params=params, n=n),
        "top_genres": _top(profile.genres, now=now_s, params=params, n=n),
        "updated_at": profile.updated_at,
    }
