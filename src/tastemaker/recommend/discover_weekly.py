"""Discover Weekly: 30 tracks a listener has never played, fitting their long-term taste.

The trained model proposes a few hundred candidates (ALS + co-occurrence, popularity discounted,
never an item in the training history). This module then applies what makes the list a weekly
playlist rather than a ranking: tracks the listener has played since training are dropped (their
profile knows them), recent releases get a bounded boost, no artist appears more than twice, and
each track carries a one-line reason taken from the history item that pulled it in.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import numpy as np

from tastemaker.storage.models import Playlist, Track
from tastemaker.storage.store import Store

if TYPE_CHECKING:  # the model brings SciPy, implicit and voyager; the API reads playlists without them
    from tastemaker.recommend.model import Model, Recommendation

KIND = "discover-weekly"


@dataclass(frozen=True)
class WeeklyParams:
    size: int = 30
    per_artist: int = 2
    candidates: int = 400
    recency_boost: float = 0.3
    """A track released today scores up to 30 % higher; the boost halves every ``recency_half_life_days``."""
    recency_half_life_days: float = 365.0


def week_id(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{KIND}-{year}-W{week:02d}"


def release_day(value: str | None) -> date | None:
    """Release dates come as YYYY, YYYY-MM or YYYY-MM-DD; the missing parts are taken as 1."""
    if not value:
        return None
    parts = value.split("-")
    try:
        return date(
            int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2][:2]) if len(parts) > 2 else 1
        )
    except (ValueError, IndexError):
        return None


def recency(track: Track | None, now: datetime, params: WeeklyParams) -> float:
    """0–1: how recent the release is (1 = today), 0 when unknown or in the future."""
    released = release_day(track.release_date if track else None)
    if released is None:
        return 0.0
    age_days = (now.date() - released).days
    if age_days < 0:
        return 0.0
    return math.exp(-math.log(2) * age_days / params.recency_half_life_days)


def reasons_for(model: Model, user_id: str, item_ids: list[str], store: Store) -> dict[str, str]:
    """For each item, name the history track whose co-occurrence vote for it is largest.

    One sparse slice for the whole list (history × picked items), not one per item: per-item slicing
    was over half of `tastemaker weekly`'s time.
    """
    fallback = "Listeners with your taste play this"
    reasons = dict.fromkeys(item_ids, fallback)
    row = model.user_rows.get(user_id)
    columns = [model.item_columns.get(item) for item in item_ids]
    known = [(item, c) for item, c in zip(item_ids, columns, strict=True) if c is not None]
    if row is None or not known:
        return reasons
    history = model.history[row]
    positive = history.data > 0
    liked = history.indices[positive]
    if len(liked) == 0:
        return reasons
    picked = np.array([c for _, c in known], dtype=np.int64)
    votes = np.asarray(model.similarity[liked][:, picked].todense()) * history.data[positive][:, None]
    best = np.argmax(votes, axis=0)
    sources = {
        item: model.item_ids[int(liked[source_row])]
        for (item, _), source_row, column in zip(known, best, range(len(known)), strict=True)
        if votes[source_row, column] > 0
    }
    tracks = store.get_tracks(set(sources.values()))
    for item, source_id in sources.items():
        source = tracks.get(source_id)
        if source is not None:
            artist = f" by {source.artist_name}" if source.artist_name else ""
            reasons[item] = f"Because you played “{source.name}”{artist}"
    return reasons


def discover_weekly(
    model: Model,
    store: Store,
    user_id: str,
    *,
    known: set[str] | None = None,
    now: datetime | None = None,
    params: WeeklyParams | None = None,
    candidates: list[Recommendation] | None = None,
) -> Playlist:
    """This week's list for one user (``known``: track ids the user has played since training;
    ``candidates``: the model's ``params.candidates`` best for the user, when already computed in a batch)."""
    params = params or WeeklyParams()
    now = now or datetime.now(UTC)
    known = known or set()
    if candidates is None:
        candidates = model.recommend(user_id, params.candidates)
    candidates = [r for r in candidates if r.item_id not in known]
    tracks = store.get_tracks([r.item_id for r in candidates])
    rescored = sorted(
        candidates,
        key=lambda r: -(r.score * (1.0 + params.recency_boost * recency(tracks.get(r.item_id), now, params))),
    )
    picked: list[str] = []
    per_artist: Counter[str] = Counter()
    for rec in rescored:
        track = tracks.get(rec.item_id)
        artist = (track.artist_id or track.artist_name) if track else None
        if artist is not None and per_artist[artist] >= params.per_artist:
            continue
        picked.append(rec.item_id)
        if artist is not None:
            per_artist[artist] += 1
        if len(picked) == params.size:
            break
    reasons = reasons_for(model, user_id, picked, store)
    for item in picked:
        track = tracks.get(item)
        if track is not None and recency(track, now, params) > 0.5:
            reasons[item] = "A new release that fits your taste"
    return Playlist(
        user_id=user_id,
        kind=KIND,
        playlist_id=week_id(now),
        name="Discover Weekly",
        track_ids=picked,
        description="Your weekly mixtape: tracks you have not played yet, picked for your taste.",
        updated_at=now,
        extra={"reasons": reasons, "model_version": model.version},
    )


def latest(store: Store, user_id: str) -> Playlist | None:
    """The newest stored Discover Weekly (playlist ids sort by ISO week)."""
    playlists = store.get_playlists(user_id, KIND)
    return max(playlists, key=lambda p: p.playlist_id) if playlists else None


def known_tracks(store: Store, user_id: str) -> set[str]:
    """Tracks in the user's Taste Profile: played recently, perhaps after the model was trained."""
    from tastemaker.profiles.profile import decode

    data = store.get_profile(user_id)
    return set(decode(data).tracks) if data is not None else set()


def playlist_view(playlist: Playlist, store: Store) -> dict[str, object]:
    """The API shape: the playlist with each track's name, artist and reason."""
    tracks = store.get_tracks(playlist.track_ids)
    reasons = playlist.extra.get("reasons", {})
    return {
        "playlist_id": playlist.playlist_id,
        "kind": playlist.kind,
        "name": playlist.name,
        "description": playlist.description,
        "updated_at": playlist.updated_at,
        "model_version": playlist.extra.get("model_version"),
        "tracks": [
            {
                "track_id": track_id,
                "name": tracks[track_id].name if track_id in tracks else None,
                "artist_name": tracks[track_id].artist_name if track_id in tracks else None,
                "reason": reasons.get(track_id),
            }
            for track_id in playlist.track_ids
        ],
    }
