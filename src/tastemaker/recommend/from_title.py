"""A playlist from nothing but a title ("rainy day jazz"): cold start for a new playlist.

The title's signals (``nlp.titles``: mood, activity, genre, era, each with a confidence) become
targets on what the catalog knows about a track, and the tracks that fit best come back:

* **genre** → the track's genres (``genre_key`` words: "jazz" matches "jazz" and "acid jazz"); with a
  genre the catalog has, only its tracks are candidates;
* **mood** and **activity** → ranges of audio features (``MOOD_RANGES``, ``ACTIVITY_RANGES``: sad is
  low valence and energy, a workout 120–180 BPM and high energy); a track's lyrics valence
  (``labels["lyrics"]``) counts as one more valence reading;
* **era** → the release year inside the decade.

Candidates are the model's items (the Store cannot scan): a genre's tracks, else the ``POOL`` most
played. Each candidate's fit is the confidence-weighted mean of its per-signal fits (1 inside a range,
falling off linearly outside it), over the signals it has data for; a candidate with none is neutral
(0.5). A little popularity breaks ties, and at most ``PER_ARTIST`` tracks of one artist are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from tastemaker.recommend.model import Model
from tastemaker.recommend.seeded import CatalogIndex, Columns, genre_key
from tastemaker.recommend.tunables import COLUMN
from tastemaker.storage.store import Store

POOL = 1500
PER_ARTIST = 3
POPULARITY_WEIGHT = 0.1
NEUTRAL = 0.5
Range = tuple[float, float]

MOOD_RANGES: dict[str, dict[str, Range]] = {
    "happy": {"valence": (0.6, 1.0), "energy": (0.5, 1.0)},
    "sad": {"valence": (0.0, 0.35), "energy": (0.0, 0.5)},
    "melancholic": {"valence": (0.0, 0.45), "energy": (0.0, 0.55), "acousticness": (0.3, 1.0)},
    "chill": {"energy": (0.0, 0.5), "tempo": (60.0, 110.0)},
    "energetic": {"energy": (0.7, 1.0), "danceability": (0.5, 1.0)},
    "romantic": {"valence": (0.4, 0.8), "energy": (0.2, 0.6)},
    "angry": {"energy": (0.75, 1.0), "valence": (0.0, 0.4)},
    "dreamy": {"energy": (0.0, 0.5), "instrumentalness": (0.3, 1.0)},
}
ACTIVITY_RANGES: dict[str, dict[str, Range]] = {
    "workout": {"tempo": (120.0, 180.0), "energy": (0.7, 1.0)},
    "running": {"tempo": (150.0, 190.0), "energy": (0.6, 1.0)},
    "sleep": {"energy": (0.0, 0.3), "tempo": (50.0, 100.0), "loudness": (-60.0, -12.0)},
    "study": {"energy": (0.0, 0.5), "speechiness": (0.0, 0.15), "instrumentalness": (0.2, 1.0)},
    "focus": {"energy": (0.0, 0.5), "speechiness": (0.0, 0.15), "instrumentalness": (0.2, 1.0)},
    "party": {"danceability": (0.65, 1.0), "energy": (0.65, 1.0)},
    "commute": {"energy": (0.4, 0.8)},
    "roadtrip": {"energy": (0.5, 0.9), "valence": (0.5, 1.0)},
    "cooking": {"valence": (0.5, 1.0), "energy": (0.3, 0.7)},
    "relax": {"energy": (0.0, 0.45), "tempo": (50.0, 110.0)},
}
SCALE = {"tempo": 60.0, "loudness": 20.0}
"""How far outside a range a value must be to fit 0 (unit features: 1.0)."""


@dataclass(frozen=True)
class TitlePick:
    item_id: str
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TitlePlaylist:
    picks: list[TitlePick]
    candidates: int
    genre_in_catalog: bool | None
    """None without a genre signal; False when the title's genre matched no catalog genre."""


def genre_matches(catalog: CatalogIndex, genre: str) -> list[str]:
    """The catalog's genre keys that contain the genre's words in order ("rock" → "indie rock")."""
    wanted = genre_key(genre).split()
    size = len(wanted)
    return [
        key
        for key in catalog.genre_columns
        if any(key.split()[i : i + size] == wanted for i in range(len(key.split()) - size + 1))
    ]


def range_fit(
    values: npt.NDArray[np.float32], low: float, high: float, scale: float
) -> npt.NDArray[np.float32]:
    """1 inside [low, high], down to 0 at ``scale`` outside; NaN stays NaN (unknown)."""
    distance = np.maximum(low - values, 0) + np.maximum(values - high, 0)
    fit: npt.NDArray[np.float32] = np.clip(1.0 - distance / scale, 0.0, 1.0).astype(np.float32)
    return fit


def _candidates(model: Model, catalog: CatalogIndex, genre: str | None) -> tuple[Columns, bool | None]:
    if genre is not None:
        keys = genre_matches(catalog, genre)
        if keys:
            columns = np.unique(np.concatenate([catalog.genre_columns[key] for key in keys]))
            best = columns[np.argsort(-model.item_popularity[columns], kind="stable")]
            return best[:POOL], True
    return np.argsort(-model.item_popularity, kind="stable")[:POOL].astype(np.int64), (
        None if genre is None else False
    )


def _year(release_date: str | None) -> float:
    if release_date and release_date[:4].isdigit():
        return float(release_date[:4])
    return float("nan")


def _lyrics_valence(store: Store, item_id: str) -> float:
    labels = store.get_labels(item_id) or {}
    value = labels.get("lyrics", {}).get("valence") if isinstance(labels.get("lyrics"), dict) else None
    return float(value) if isinstance(value, int | float) else float("nan")


def playlist_for_title(
    model: Model,
    catalog: CatalogIndex,
    store: Store,
    signals: Mapping[str, tuple[str, float]],
    *,
    limit: int,
) -> TitlePlaylist:
    """The ``limit`` candidates that fit ``signals`` (dimension → (label, confidence)) best."""
    genre = signals.get("genre")
    columns, genre_found = _candidates(model, catalog, genre[0] if genre else None)
    catalog.load_audio(model, store, columns)
    values = catalog.values[columns]
    ids = [model.item_ids[col] for col in columns.tolist()]
    tracks = store.get_tracks(ids)
    fits: list[tuple[float, npt.NDArray[np.float32], str]] = []  # (weight, fit per candidate, reason)
    lyrics_valence: npt.NDArray[np.float32] | None = None
    for dimension, table in (("mood", MOOD_RANGES), ("activity", ACTIVITY_RANGES)):
        if dimension not in signals:
            continue
        label, confidence = signals[dimension]
        for feature, (low, high) in table.get(label, {}).items():
            fit = range_fit(values[:, COLUMN[feature]], low, high, SCALE.get(feature, 1.0))
            if feature == "valence":
                if lyrics_valence is None:
                    lyrics_valence = np.asarray([_lyrics_valence(store, i) for i in ids], dtype=np.float32)
                fits.append(
                    (confidence, range_fit(lyrics_valence, low, high, 1.0), f"{label}: lyrics valence")
                )
            fits.append((confidence, fit, f"{label}: {feature}"))
    if "era" in signals:
        decade, confidence = signals["era"]
        start = decade_start(decade)
        years = np.asarray(
            [_year(t.release_date) if (t := tracks.get(i)) else np.nan for i in ids], np.float32
        )
        fits.append((confidence, range_fit(years, start, start + 9, 10.0), f"{decade}: release year"))
    score = _combine(fits, len(ids))
    popularity = model.item_popularity[columns].astype(np.float32)
    score = score + POPULARITY_WEIGHT * popularity / max(float(popularity.max(initial=0.0)), 1e-9)
    artists = [(t.artist_id if (t := tracks.get(i)) else None) or i for i in ids]
    return TitlePlaylist(_pick(ids, artists, score, fits, limit), len(ids), genre_found)


def decade_start(decade: str) -> float:
    """The first year of a decade: 1980 for "80s"; 2000, 2010, 2020 for "00s", "10s", "20s"."""
    tens = int(decade[0])
    return float((2000 if tens <= 2 else 1900) + tens * 10)


def _combine(fits: list[tuple[float, npt.NDArray[np.float32], str]], n: int) -> npt.NDArray[np.float32]:
    total = np.zeros(n, dtype=np.float32)
    weights = np.zeros(n, dtype=np.float32)
    for weight, fit, _ in fits:
        known = ~np.isnan(fit)
        total[known] += weight * fit[known]
        weights[known] += weight
    score: npt.NDArray[np.float32] = np.where(weights > 0, total / np.maximum(weights, 1e-9), NEUTRAL).astype(
        np.float32
    )
    return score


def _pick(
    ids: list[str],
    artists: list[str],
    score: npt.NDArray[np.float32],
    fits: list[tuple[float, npt.NDArray[np.float32], str]],
    limit: int,
) -> list[TitlePick]:
    per_artist: dict[str, int] = {}
    picks: list[TitlePick] = []
    for row in np.argsort(-score, kind="stable").tolist():
        artist = artists[row]
        if per_artist.get(artist, 0) >= PER_ARTIST:
            continue
        per_artist[artist] = per_artist.get(artist, 0) + 1
        reasons = [reason for _, fit, reason in fits if not np.isnan(fit[row]) and fit[row] >= 0.99]
        picks.append(TitlePick(ids[row], round(float(score[row]), 6), reasons))
        if len(picks) == limit:
            break
    return picks
