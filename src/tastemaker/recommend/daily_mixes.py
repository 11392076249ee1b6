"""Daily Mixes: up to six playlists per listener, each one cluster of what they already love.

A listener's established tracks (their strongest positive evidence in the model) are clustered in the
ALS item-factor space, where distance means "liked by the same people", so a cluster is a coherent
corner of their taste (the 2010s indie, the jazz) even when the catalogue has no genre labels. Each
mix is mostly those familiar tracks, plus a few new ones: the nearest unplayed neighbours of the
cluster's centre in the ANN index. A mix is named after its dominant genre ("Indie Rock Mix"), with
the dominant mood of its tracks' annotations (``tastemaker annotate``) in front when there is one
("Chill Indie Mix"), or, without either, after its leading artist, with the next artists in the
description.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tastemaker.storage.models import Playlist, Track
from tastemaker.storage.store import Store

if TYPE_CHECKING:  # the model brings SciPy, implicit and voyager; the API reads playlists without them
    from tastemaker.recommend.model import Model

KIND = "daily-mix"


@dataclass(frozen=True)
class MixParams:
    max_mixes: int = 6
    min_cluster: int = 4
    """Fewer familiar tracks than this do not make a mix."""
    seeds: int = 200
    """The listener's strongest tracks that are clustered."""
    familiar: int = 20
    new: int = 5
    """New tracks per mix at most, and never more than a quarter of its familiar ones."""
    iterations: int = 20
    seed: int = 0


def day_id(now: datetime) -> str:
    return f"{KIND}-{now.date().isoformat()}"


def kmeans(vectors: npt.NDArray[np.float32], k: int, *, iterations: int, seed: int) -> npt.NDArray[np.int64]:
    """Cluster labels by spherical k-means (cosine), k-means++ seeding with a fixed seed."""
    rng = np.random.default_rng(seed)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    centres = [unit[rng.integers(len(unit))]]
    for _ in range(1, k):
        distance = 1.0 - np.max(unit @ np.array(centres).T, axis=1)
        weights = np.maximum(distance, 0.0) ** 2
        total = weights.sum()
        centres.append(
            unit[rng.choice(len(unit), p=weights / total) if total > 0 else rng.integers(len(unit))]
        )
    centre = np.array(centres)
    labels = np.zeros(len(unit), dtype=np.int64)
    for _ in range(iterations):
        new_labels = np.argmax(unit @ centre.T, axis=1).astype(np.int64)
        if np.array_equal(new_labels, labels) and _ > 0:
            break
        labels = new_labels
        for cluster in range(k):
            members = unit[labels == cluster]
            if len(members):
                mean = members.mean(axis=0)
                centre[cluster] = mean / max(float(np.linalg.norm(mean)), 1e-9)
    return labels


def _dominant(values: Counter[str], total: int) -> str | None:
    """The most common value when it covers at least half of ``total``."""
    if values:
        value, count = values.most_common(1)[0]
        if count * 2 >= total:
            return value
    return None


def mix_name(
    tracks: list[Track], artists: list[str], annotations: Sequence[Mapping[str, Any]] = ()
) -> tuple[str, str]:
    """(name, description): the dominant (mood and) genre's mix, or the leading artist's; the top
    artists listed. A catalog genre wins over an annotated one: annotations are inferred."""
    genre = _dominant(Counter(g for t in tracks for g in t.genres[:1]), len(tracks))
    if genre is None:
        genre = _dominant(Counter(a["genre"]["value"] for a in annotations if "genre" in a), len(tracks))
    mood = _dominant(Counter(a["mood"]["value"] for a in annotations if "mood" in a), len(tracks))
    lead = artists[:3]
    listing = ", ".join(lead) + (" and more" if len(artists) > 3 else "")
    if genre or mood:
        return " ".join(word.title() for word in (mood, genre) if word) + " Mix", listing
    return (f"{artists[0]} Mix" if artists else "Daily Mix"), listing


def daily_mixes(
    model: Model, store: Store, user_id: str, *, now: datetime | None = None, params: MixParams | None = None
) -> list[Playlist]:
    """Today's mixes for one user (empty for a listener the model has no history for)."""
    from tastemaker.recommend.ann import nearest

    params = params or MixParams()
    now = now or datetime.now(UTC)
    row = model.user_rows.get(user_id)
    if row is None:
        return []
    history = model.history[row]
    positive = history.data > 0
    columns, evidence = history.indices[positive], history.data[positive]
    order = np.argsort(-evidence, kind="stable")[: params.seeds]
    columns, evidence = columns[order], evidence[order]
    k = min(params.max_mixes, len(columns) // params.min_cluster)
    if k < 1:
        return []
    labels = kmeans(model.factors.items[columns], k, iterations=params.iterations, seed=params.seed)
    played = set(history.indices.tolist())
    clusters = sorted(range(k), key=lambda c: -float(evidence[labels == c].sum()))
    mixes: list[Playlist] = []
    for cluster in clusters:
        members = columns[labels == cluster]
        if len(members) < params.min_cluster:
            continue
        familiar = [model.item_ids[int(c)] for c in members[: params.familiar]]
        centre = model.factors.items[members].mean(axis=0, keepdims=True)
        found, _ = nearest(model.item_index, centre, min(params.new + len(played), 1000))
        room = min(params.new, max(1, len(familiar) // 4))  # mostly familiar: at most one new in five
        fresh = [model.item_ids[int(c)] for c in found[0] if int(c) not in played][:room]
        track_ids = _interleave(familiar, fresh)
        tracks = store.get_tracks(track_ids)
        known = [tracks[t] for t in familiar if t in tracks]
        artists = [a for a, _ in Counter(t.artist_name for t in known if t.artist_name).most_common()]
        stored = [store.get_labels(t.track_id) or {} for t in known]
        name, description = mix_name(known, artists, [a for x in stored if (a := x.get("annotations"))])
        mixes.append(
            Playlist(
                user_id=user_id,
                kind=KIND,
                playlist_id=f"{day_id(now)}-{len(mixes) + 1}",
                name=name,
                track_ids=track_ids,
                description=description,
                updated_at=now,
                extra={"new": fresh, "model_version": model.version},
            )
        )
    return mixes


def _interleave(familiar: list[str], fresh: list[str]) -> list[str]:
    """Spread the new tracks evenly among the familiar ones, never first."""
    if not fresh:
        return list(familiar)
    out: list[str] = []
    step = max(1, len(familiar) // len(fresh))
    queue = list(fresh)
    for index, track in enumerate(familiar, start=1):
        out.append(track)
        if queue and index % step == 0:
            out.append(queue.pop(0))
    return out + queue


def latest(store: Store, user_id: str) -> list[Playlist]:
    """The mixes of the newest day stored, in order."""
    playlists = store.get_playlists(user_id, KIND)
    if not playlists:
        return []
    newest = max(p.playlist_id.rsplit("-", 1)[0] for p in playlists)
    today = [p for p in playlists if p.playlist_id.rsplit("-", 1)[0] == newest]
    return sorted(today, key=lambda p: int(p.playlist_id.rsplit("-", 1)[1]))
