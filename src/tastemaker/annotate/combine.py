"""Merging several labelers' answers into one annotation per kind, keeping who said what.

Values are first put in one vocabulary (``ALIASES``: a playlist's "melancholic" is the audio
labeler's "sad"). Per kind, each value's weight is the sum of its labels' confidences; the heaviest
wins. Its confidence is ``1 - Π(1 - cᵢ)`` over the labels that agree (independent evidence adds up),
times the winner's share of all the weight (disagreement costs). Every label that spoke, agreeing or
not, is kept in ``sources``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tastemaker.annotate.labeler import Label

ALIASES: dict[str, dict[str, str]] = {
    "mood": {
        "energetic": "happy",
        "melancholic": "sad",
        "melancholy": "sad",
        "dreamy": "chill",
        "romantic": "chill",
        "calm": "chill",
        "peaceful": "chill",
        "tense": "angry",
    },
    "activity": {"running": "workout", "study": "focus", "chill": "relax"},
    "genre": {"rap": "hip hop", "hip-hop": "hip hop", "electronic": "edm", "rnb": "r&b"},
}


def canonical(kind: str, value: str) -> str:
    value = value.strip().lower()
    return ALIASES.get(kind, {}).get(value, value)


def combine(labels: Iterable[Label]) -> dict[str, dict[str, Any]]:
    """``{kind: {"value", "confidence", "sources": [{"labeler", "value", "confidence", "evidence"}]}}``."""
    by_kind: dict[str, list[Label]] = defaultdict(list)
    for label in labels:
        if label.confidence > 0:
            by_kind[label.kind].append(label)
    result: dict[str, dict[str, Any]] = {}
    for kind, found in sorted(by_kind.items()):
        weights: dict[str, float] = defaultdict(float)
        for label in found:
            weights[canonical(kind, label.value)] += label.confidence
        value = max(weights, key=lambda v: (weights[v], v))
        disbelief = 1.0
        for label in found:
            if canonical(kind, label.value) == value:
                disbelief *= 1.0 - min(label.confidence, 1.0)
        confidence = (1.0 - disbelief) * weights[value] / sum(weights.values())
        sources = [
            {"labeler": s.source, "value": s.value, "confidence": s.confidence, "evidence": s.evidence}
            for s in sorted(found, key=lambda s: (s.source, -s.confidence))
        ]
        result[kind] = {"value": value, "confidence": round(confidence, 3), "sources": sources}
    return result
