"""The Listening Personality: four axes, thresholds at the population median, sixteen types.

Each axis is a share of the listener's year, 0–1:

- exploration (E) vs familiarity (F): minutes on artists first heard this year;
- newness (N) vs timelessness (T): minutes on releases of this year or last, of the dated minutes;
- variety (V) vs loyalty (L): minutes outside the top five artists;
- uniqueness (U) vs commonality (C): minutes (of the top artists) on artists outside the population's
  most-listened tenth.

A letter is the high end when the listener is above the median of everyone's score that year, so
each letter splits the population in about half, as Spotify's 2021 types did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

AXES = ("exploration", "newness", "variety", "uniqueness")
LETTERS = {"exploration": ("F", "E"), "newness": ("T", "N"), "variety": ("L", "V"), "uniqueness": ("C", "U")}

TYPES: Mapping[str, tuple[str, str]] = {
    "FTLC": ("The Devotee", "A few beloved artists and the classics everyone knows, on heavy rotation."),
    "FTLU": ("The Replayer", "Your own deep cuts from years past, played again and again."),
    "FTVC": ("The Time Traveler", "A wide shelf of familiar classics, hopping between eras and artists."),
    "FTVU": ("The Collector", "Many well-loved records from every era that few others keep."),
    "FNLC": ("The Fanclubber", "Front row for your favourite stars' new releases, all year."),
    "FNLU": (
        "The Specialist",
        "You know a handful of lesser-known artists and every new thing they put out.",
    ),
    "FNVC": ("The Hitseeker", "The new releases of many artists you already love, the moment they drop."),
    "FNVU": ("The Curator", "New music from a wide circle of niche artists you have followed for a while."),
    "ETLC": ("The Historian", "Discovering the classics this year, then going deep on the ones that stick."),
    "ETLU": ("The Archaeologist", "Digging up forgotten records and staying with your finds."),
    "ETVC": ("The Musicologist", "A survey course: many celebrated artists of the past, new to you."),
    "ETVU": ("The Crate Digger", "Hours in the back catalogue, pulling out rarities from everywhere."),
    "ENLC": ("The Early Adopter", "New artists on the rise, and you stick with the ones you pick."),
    "ENLU": ("The Scout", "You find new artists before anyone else and keep them on repeat."),
    "ENVC": ("The Trendsetter", "Always on to the next new sound, everywhere at once."),
    "ENVU": ("The Adventurer", "New artists, new releases, off the beaten path, a different one every day."),
}
COMMON_ARTIST_SHARE = 0.10
"""The most-listened tenth of artists (by listeners) counts as "common"."""


@dataclass(frozen=True)
class Thresholds:
    medians: Mapping[str, float]

    @classmethod
    def from_scores(cls, scores: Sequence[Mapping[str, float]]) -> Thresholds:
        medians = {axis: float(np.median([s[axis] for s in scores])) if scores else 0.5 for axis in AXES}
        return cls(medians=medians)


def axis_scores(partial: Mapping[str, object], common_artists: frozenset[str]) -> dict[str, float]:
    """A listener's four scores from their partial recap (see the module docstring for each)."""
    total = _int(partial.get("ms"))
    new_artists = partial.get("new_artists")
    new_ms = _int(new_artists.get("new_ms")) if isinstance(new_artists, dict) else 0
    dated = _int(partial.get("dated_ms"))
    artist_ms = partial.get("artist_ms")
    ranked = [(str(a), _int(ms)) for a, ms in artist_ms] if isinstance(artist_ms, list) else []
    top5 = sum(ms for _, ms in ranked[:5])
    ranked_total = sum(ms for _, ms in ranked)
    common = sum(ms for artist, ms in ranked if artist in common_artists)
    return {
        "exploration": _share(new_ms, total),
        "newness": _share(_int(partial.get("new_release_ms")), dated) if dated else 0.5,
        "variety": 1.0 - _share(top5, total) if total else 0.0,
        "uniqueness": 1.0 - _share(common, ranked_total) if ranked_total else 0.0,
    }


def personality(scores: Mapping[str, float], thresholds: Thresholds) -> dict[str, object]:
    code = "".join(LETTERS[a][1 if scores[a] > thresholds.medians[a] else 0] for a in AXES)
    name, description = TYPES[code]
    return {
        "code": code,
        "name": name,
        "description": description,
        "axes": {a: round(scores[a], 3) for a in AXES},
    }


def common_artists(listeners: Mapping[str, int]) -> frozenset[str]:
    """The most-listened ``COMMON_ARTIST_SHARE`` of artists by listener count (ties by id)."""
    ranked = sorted(listeners.items(), key=lambda item: (-item[1], item[0]))
    keep = max(1, round(len(ranked) * COMMON_ARTIST_SHARE)) if ranked else 0
    return frozenset(artist for artist, _ in ranked[:keep])


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _share(part: int, whole: int) -> float:
    return part / whole if whole > 0 else 0.0
