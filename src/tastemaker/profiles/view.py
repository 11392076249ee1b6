"""JSON views of the profile's parts, for ``profile.summary`` (``GET /v1/users/{user}/profile``).

Each takes the part and the two half-lives ``(short, long)`` rather than the whole profile, so the
views stay independent of the profile's format version.
"""

from __future__ import annotations

from typing import Any

from tastemaker.profiles.affinity import Affinity, at
from tastemaker.profiles.audio_features import distribution
from tastemaker.profiles.decayed import DecayedVector, FloatArray, vector_mean, weight_at
from tastemaker.profiles.labels import split_key

HORIZONS = ("short_term", "long_term")


def top(
    table: dict[str, Affinity], *, now: float, half_lives: tuple[float, float], n: int
) -> dict[str, list[dict[str, Any]]]:
    """The ``n`` strongest keys of an affinity table, short and long term (positive scores only)."""

    def ranked(long: bool) -> list[dict[str, Any]]:
        half = half_lives[long]
        scored = ((key, at(score, ts=now, half_life_s=half, long=long)) for key, score in table.items())
        best = sorted(scored, key=lambda item: item[1], reverse=True)[:n]
        return [{"id": key, "score": round(value, 4)} for key, value in best if value > 0]

    return {"short_term": ranked(False), "long_term": ranked(True)}


def top_labels(
    table: dict[str, Affinity], *, now: float, half_lives: tuple[float, float], n: int
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The label affinities by kind (``{"mood": {"short_term": [{"id": "chill", ...}], ...}}``)."""
    by_kind: dict[str, dict[str, Affinity]] = {}
    for key, score in table.items():
        kind, value = split_key(key)
        by_kind.setdefault(kind, {})[value] = score
    ranked = sorted(by_kind.items())
    return {kind: top(scores, now=now, half_lives=half_lives, n=n) for kind, scores in ranked}


def evidence(
    vector: DecayedVector, *, anchor: float, now: float, half_lives: tuple[float, float]
) -> dict[str, float]:
    """The decayed weight behind each horizon as of ``now`` (≈ full plays at today's weight)."""
    if vector.sums.shape[1] == 0:
        return {"short_term": 0.0, "long_term": 0.0}
    return {
        name: round(weight_at(float(vector.sums[row, 0]), anchor=anchor, now=now, half_life_s=half), 4)
        for row, (name, half) in enumerate(zip(HORIZONS, half_lives, strict=True))
    }


def audio_view(
    stats: DecayedVector, *, anchor: float, now: float, half_lives: tuple[float, float]
) -> dict[str, Any]:
    return {
        "short_term": distribution(stats, long=False),
        "long_term": distribution(stats, long=True),
        "evidence": evidence(stats, anchor=anchor, now=now, half_lives=half_lives),
    }


def embeddings_view(
    embeddings: dict[str, DecayedVector], *, anchor: float, now: float, half_lives: tuple[float, float]
) -> dict[str, Any]:
    def rounded(values: FloatArray | None) -> list[float] | None:
        return None if values is None else [round(float(v), 5) for v in values]

    return {
        space: {
            "version": vector.version,
            "dim": vector.dim,
            "short_term": rounded(vector_mean(vector, long=False)),
            "long_term": rounded(vector_mean(vector, long=True)),
            "evidence": evidence(vector, anchor=anchor, now=now, half_lives=half_lives),
        }
        for space, vector in sorted(embeddings.items())
    }
