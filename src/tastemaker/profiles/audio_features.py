"""The audio-feature preference distribution: what a listener's plays sound like, as means and spreads.

Each of Spotify's 12 features is summarised by a decayed weighted mean and standard deviation, short
and long half-life, folded from the features of played tracks (``profiles/decayed.py``). Why moments
and not histograms: the recommenders score a candidate by its distance to the listener's taste in
units of that listener's spread (Spotify's ``target_*``/``min_*``/``max_*`` tunables are exactly
means and ranges), moments give that directly, and a fold is one vectorised add of 26 numbers;
fixed histograms would need bin edges per feature (tempo, loudness are unbounded) and 10× the state.

``key`` is a pitch class on a circle, so its arithmetic mean is meaningless (B = 11 sits next to
C = 0). It is placed on the circle of fifths, as in the audio similarity vector (C next to G and F,
far from F♯: the neighbours that mix harmonically), and summarised by the circular mean (the
preferred key region) and the circular variance ``1 − R`` (0: always the same key, 1: no preference).
Tracks whose key was not detected (``key = -1``) leave the key summary alone.

The per-track row, built once per track in the profiler's cache::

    [1, v_1 … v_11, v_1² … v_11², has_key, cos θ, sin θ]    θ = 2π · (7 · key mod 12) / 12

where ``v`` are the 11 numeric features in ``NUMERIC`` order. Column 0 accumulates the weight, the
squares give the variance as ``E[v²] − E[v]²`` (float64 keeps that exact enough for tempo² ~ 1e4).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from typing import Any

import msgspec
import numpy as np

from tastemaker.audio.similarity import VECTOR_FIELDS
from tastemaker.profiles.decayed import DecayedVector, FloatArray, item_row

NUMERIC = (
    "acousticness",
    "danceability",
    "energy",
    "instrumentalness",
    "liveness",
    "loudness",
    "mode",
    "speechiness",
    "tempo",
    "time_signature",
    "valence",
)
"""The 11 features summarised by mean and standard deviation (``mode``'s mean is the share in major)."""
FEATURES = (*NUMERIC[:4], "key", *NUMERIC[4:])
"""All 12, in Spotify's order."""
ROW_WIDTH = 1 + 2 * len(NUMERIC) + 3
_KEY = 1 + 2 * len(NUMERIC)
AUDIO_SPACE = "audio"
"""The embedding space of the audio similarity vector (``audio/similarity.py``)."""
AUDIO_BASIS = "similarity-" + format(zlib.crc32(",".join(VECTOR_FIELDS).encode()), "08x")
"""The version of the audio vectors' basis: what their dimensions are (``VECTOR_FIELDS``), not which
analyser estimated them. A re-analysis by a newer algorithm (``tm-audio-1`` → ``tm-audio-2``) refines
the values in the same basis, so the user vector keeps its history, and a catalogue half-way through a
rescan does not restart it on every other play; a change of the fields restarts it."""


class ItemVector(msgspec.Struct, frozen=True, gc=False, eq=False):
    """An item's vector in a named embedding space, ready to fold: ``row`` is ``[1, values…]``.

    ``version`` names the basis (``AUDIO_BASIS``; an ALS model's id): a user vector built in one basis
    is restarted when a vector of another arrives. It must change exactly when the basis does: each
    ALS training has a basis of its own, a re-analysis of the audio does not.
    """

    space: str
    version: str
    row: FloatArray


class TrackAudio(msgspec.Struct, frozen=True, gc=False, eq=False):
    """What the profiler folds per play of a track with stored audio features (either part may be absent)."""

    features: FloatArray | None
    vector: ItemVector | None


def track_audio(row: Mapping[str, Any] | None) -> TrackAudio | None:
    """Parse a Store features row (``audio/records.py``); None when it has neither features nor vector.

    Rows missing any of the 12 features (older or partial writers) contribute no features, like
    ``load_features`` treats them, but their vector still counts.
    """
    if row is None:
        return None
    features = _feature_row(row)
    values = row.get("vector")
    vector = None
    if isinstance(values, list) and values:
        vector = ItemVector(AUDIO_SPACE, AUDIO_BASIS, item_row([float(x) for x in values]))
    if features is None and vector is None:
        return None
    return TrackAudio(features, vector)


def _feature_row(row: Mapping[str, Any]) -> FloatArray | None:
    try:
        values = [float(row[name]) for name in NUMERIC]
        key = int(row["key"])
    except (KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in values):
        return None
    if 0 <= key <= 11:
        angle = 2 * math.pi * ((key * 7) % 12) / 12
        key_part = [1.0, math.cos(angle), math.sin(angle)]
    else:
        key_part = [0.0, 0.0, 0.0]
    return item_row([*values, *(v * v for v in values), *key_part])


def distribution(stats: DecayedVector, *, long: bool) -> dict[str, Any] | None:
    """The JSON view of one horizon: ``{feature: {"mean", "std"}}``, key as circular mean/variance."""
    if stats.sums.shape[1] != ROW_WIDTH:
        return None
    sums = stats.sums[1 if long else 0]
    weight = float(sums[0])
    if weight <= 0.0:
        return None
    n = len(NUMERIC)
    means = sums[1 : 1 + n] / weight
    variances = np.maximum(sums[1 + n : 1 + 2 * n] / weight - means * means, 0.0)
    view: dict[str, Any] = {
        name: {"mean": round(float(mean), 4), "std": round(math.sqrt(float(var)), 4)}
        for name, mean, var in zip(NUMERIC, means, variances, strict=True)
    }
    view["key"] = _key_view(float(sums[_KEY]), float(sums[_KEY + 1]), float(sums[_KEY + 2]))
    return {name: view[name] for name in FEATURES}


def _key_view(weight: float, x_sum: float, y_sum: float) -> dict[str, Any]:
    """Circular mean on the circle of fifths, mapped back to a pitch class (7 is its own inverse mod 12)."""
    if weight <= 0.0:
        return {"mean": None, "circular_variance": None}
    x, y = x_sum / weight, y_sum / weight
    resultant = math.hypot(x, y)
    fifths = round(math.atan2(y, x) / (2 * math.pi) * 12) % 12
    return {
        "mean": (fifths * 7) % 12 if resultant > 1e-9 else None,
        "circular_variance": round(max(0.0, 1.0 - resultant), 4),
    }
