"""The four Listening-Personality axes, as continuous scores in [-1, 1] read from bounded profile state.

Each axis runs from its first pole at -1 to its second at +1; 0 is the middle:

==========================  ==================================================================
axis                        score
==========================  ==================================================================
familiarity ↔ exploration   ``1 − 2f``; ``f`` = decayed share of listens (plays and skips) of
                            something already known: 1 for a track already in the track table,
                            0.5 for a new track by an artist already in the artist table, 0 else.
loyalty ↔ variety           ``2 · ln(N) / ln(100) − 1``; ``N`` = effective number of artists,
                            ``1 / Σ p²`` (inverse Simpson) over the positive artist affinities:
                            N = 1 → -1, N = 10 → 0, N ≥ 100 → +1.
timelessness ↔ newness      ``1 − m / ln(4)``; ``m`` = decayed mean of ``ln(1 + age in years)``
                            of played tracks at play time: age 0 → +1, 3 years → 0, ≥ 15 → -1.
commonality ↔ uniqueness    ``1 − p / 50``; ``p`` = decayed mean ``Track.popularity`` (0–100) of
                            played tracks: 100 → -1, 50 → 0, 0 → +1.
==========================  ==================================================================

Every score is clipped to [-1, 1] and is None until there is evidence. Why these curves: shares map
linearly; counts and ages are compared on a log scale (1 → 10 artists is as big a step as 10 → 100,
a 1-year-old and a 3-year-old track differ more than a 21- and a 23-year-old one); the age mean is
taken of ``ln(1 + years)`` so that a few 60-year-old tracks do not outweigh a year of new releases.
Popularity is Spotify's 0–100, already a log scale of play counts, so it maps linearly.

What counts (the profile folds these per event, in O(1)): familiarity counts every play and skip once,
whatever its length (trying something new and skipping it is still exploring). Newness and
uniqueness are preferences, weighted like the affinities (plays by completion, likes 2), skips and
unlikes excluded; tracks without ``release_date`` (or ``popularity``) contribute nothing to that axis
and never pull it towards the middle. Loyalty is computed at read time from the long-term (or
short-term) artist table, which is bounded (``2 × top_k``), so reading is O(top_k).

Known limits: "already known" means "still in the bounded affinity tables" (the strongest ``top_k`` to
``2 × top_k`` tracks and artists), so a track heard once years ago and pruned counts as new again; and
familiarity depends on the order events are applied in (an import of old history after live plays
sees the live plays as already known).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from tastemaker.profiles.affinity import Affinity, at
from tastemaker.profiles.decayed import DecayedMean, mean_of, weight_at

YEAR_S = 365.2425 * 86400.0
KNOWN_TRACK = 1.0
KNOWN_ARTIST = 0.5
LOYALTY_REFERENCE_ARTISTS = 100.0
NEUTRAL_AGE_YEARS = 3.0
NEUTRAL_POPULARITY = 50.0

AXES = {
    "familiarity_exploration": ("familiarity", "exploration", "F", "E"),
    "loyalty_variety": ("loyalty", "variety", "L", "V"),
    "timelessness_newness": ("timelessness", "newness", "T", "N"),
    "commonality_uniqueness": ("commonality", "uniqueness", "C", "U"),
}


@lru_cache(maxsize=8192)
def release_ts(release_date: str) -> float | None:
    """Unix seconds of a ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD…`` release date, None if unparseable.

    A year alone means its middle (2 July), a month alone its 15th: the unbiased guess for an age.
    Cached because release dates repeat across a catalogue's tracks and albums.
    """
    parts = release_date.strip()[:10].replace("/", "-").split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 7
        day = int(parts[2]) if len(parts) > 2 else (2 if len(parts) == 1 else 15)
        return datetime(year, month, day, tzinfo=UTC).timestamp()
    except (ValueError, IndexError):
        return None


def age_value(played_s: float, released_s: float) -> float:
    """``ln(1 + age in years)`` at play time; a play before the release date counts as age 0."""
    return math.log1p(max(0.0, played_s - released_s) / YEAR_S)


def _clip(value: float) -> float:
    return max(-1.0, min(1.0, value))


def familiarity_exploration(familiar_share: float) -> float:
    return _clip(1.0 - 2.0 * familiar_share)


def loyalty_variety(effective_artists: float) -> float:
    return _clip(2.0 * math.log(max(1.0, effective_artists)) / math.log(LOYALTY_REFERENCE_ARTISTS) - 1.0)


def timelessness_newness(mean_log_age: float) -> float:
    return _clip(1.0 - mean_log_age / math.log1p(NEUTRAL_AGE_YEARS))


def commonality_uniqueness(mean_popularity: float) -> float:
    return _clip(1.0 - mean_popularity / NEUTRAL_POPULARITY)


def effective_artists(
    artists: dict[str, Affinity], *, now: float, half_life_s: float, long: bool
) -> tuple[float, float] | None:
    """``(1 / Σ p², Σ score)`` over the positive artist scores as of ``now``; None when there are none."""
    scores = [at(score, ts=now, half_life_s=half_life_s, long=long) for score in artists.values()]
    positive = [s for s in scores if s > 0.0]
    total = math.fsum(positive)
    if total <= 0.0:
        return None
    concentration = math.fsum((s / total) ** 2 for s in positive)
    return 1.0 / concentration, total


Reading = tuple[float | None, float | None, float]
"""An axis as read: (short-term score, long-term score, long-term evidence)."""


def _mean_axis(
    mean: DecayedMean, curve: Callable[[float], float], *, anchor: float, now: float, half_life_s: float
) -> Reading:
    short, long = mean_of(mean, long=False), mean_of(mean, long=True)
    return (
        None if short is None else curve(short),
        None if long is None else curve(long),
        weight_at(mean.long_weight, anchor=anchor, now=now, half_life_s=half_life_s),
    )


def _loyalty_axis(
    artists: dict[str, Affinity], *, now: float, short_half_life_s: float, long_half_life_s: float
) -> Reading:
    short = effective_artists(artists, now=now, half_life_s=short_half_life_s, long=False)
    long = effective_artists(artists, now=now, half_life_s=long_half_life_s, long=True)
    return (
        None if short is None else loyalty_variety(short[0]),
        None if long is None else loyalty_variety(long[0]),
        0.0 if long is None else long[1],
    )


def _side(name: str, score: float | None) -> tuple[str | None, str]:
    """The pole a score leans to and its letter (``?`` when unknown)."""
    if score is None:
        return None, "?"
    low, high, low_letter, high_letter = AXES[name]
    return (low, low_letter) if score < 0 else (high, high_letter)


def axes(
    *,
    familiarity: DecayedMean,
    release_age: DecayedMean,
    popularity: DecayedMean,
    artists: dict[str, Affinity],
    anchor: float,
    now: float,
    short_half_life_s: float,
    long_half_life_s: float,
) -> dict[str, Any]:
    """The JSON view: per axis ``{"score", "short_term", "leans", "evidence"}``, and a 4-letter ``code``.

    ``score`` is long-term, ``short_term`` the same with the short half-life; ``evidence`` is the
    long-term weight behind the score as of ``now`` (decayed listens or plays; total artist affinity
    for loyalty), so a client can ignore a score resting on three plays. ``code`` takes one letter per
    axis from the side ``score`` leans to (F/E, L/V, T/N, C/U), ``?`` where it is unknown.
    """
    decay = {"anchor": anchor, "now": now, "half_life_s": long_half_life_s}
    readings = {
        "familiarity_exploration": _mean_axis(familiarity, familiarity_exploration, **decay),
        "loyalty_variety": _loyalty_axis(
            artists, now=now, short_half_life_s=short_half_life_s, long_half_life_s=long_half_life_s
        ),
        "timelessness_newness": _mean_axis(release_age, timelessness_newness, **decay),
        "commonality_uniqueness": _mean_axis(popularity, commonality_uniqueness, **decay),
    }
    view: dict[str, Any] = {}
    code = ""
    for name, (short, long, evidence) in readings.items():
        leans, letter = _side(name, long)
        code += letter
        view[name] = {
            "score": None if long is None else round(long, 4),
            "short_term": None if short is None else round(short, 4),
            "leans": leans,
            "evidence": round(evidence, 4),
        }
    view["code"] = code
    return view
