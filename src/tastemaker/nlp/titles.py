"""Signals in a playlist title ("rainy day jazz", "🏋️ gym bangers", "90s throwbacks", "chill af"):
a mood, an activity, a genre and an era, each with a confidence, plus the title's embedding.

Two readers, exact first: the cue lexicon (``title_lexicon``: words, slang, emoji) answers with
``LEXICON_CONFIDENCE``; a dimension it has no cue for falls back to zero-shot, the cosine between the
title's embedding and a short description of each label, calibrated by a softmax over the labels. A
zero-shot label is kept only when it is both close (``MIN_SIMILARITY``) and clearly ahead of the others
(``MIN_SHARE``), so a title about nothing in particular gets None rather than a guess.

``train_title_genre`` learns genres from titles that come with one (a nearest-centroid classifier over
embeddings); the benchmark scores it on real playlist names.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
import numpy as np
import numpy.typing as npt

from tastemaker.nlp.embeddings import Vectors, embed
from tastemaker.nlp.themes import calibrated
from tastemaker.nlp.title_lexicon import era, lexicon_label, normalise

LEXICON_CONFIDENCE = 0.9
ZERO_SHOT_CEILING = 0.8
"""A zero-shot share is scaled by this: an exact cue in the title is better evidence than a cosine."""
ERA_CONFIDENCE = 0.9
MIN_SIMILARITY = 0.35
MIN_SHARE = 0.5
TEMPERATURE = 0.05

DESCRIPTIONS: dict[str, dict[str, str]] = {
    "mood": {
        "happy": "happy upbeat feel-good songs",
        "sad": "sad songs for crying and heartbreak",
        "melancholic": "melancholic songs for a rainy grey day",
        "chill": "chill laid-back relaxed vibes",
        "energetic": "high-energy hype songs",
        "romantic": "romantic love songs",
        "angry": "angry aggressive rage music",
        "dreamy": "dreamy ethereal atmospheric music",
    },
    "activity": {
        "workout": "music for a workout at the gym",
        "running": "music for running and jogging",
        "sleep": "music to fall asleep to at night",
        "study": "music to study and do homework",
        "focus": "music to focus and concentrate at work",
        "party": "music for a party with friends",
        "commute": "music for the commute on the train or bus",
        "roadtrip": "music for a road trip, driving on the highway",
        "cooking": "music for cooking dinner in the kitchen",
        "relax": "music to relax and unwind",
    },
    "genre": {
        "pop": "pop music hits",
        "rock": "rock music with electric guitars",
        "hip hop": "hip hop and rap music",
        "r&b": "r&b and soul slow jams",
        "edm": "electronic dance music, house and techno",
        "latin": "latin music, reggaeton and salsa",
        "jazz": "jazz music",
        "classical": "classical music, orchestra and piano",
        "country": "country music",
        "metal": "heavy metal music",
        "lo-fi": "lo-fi hip hop beats",
        "folk": "acoustic folk music",
    },
}


class TitleSignals(msgspec.Struct, kw_only=True):
    mood: str | None = None
    mood_confidence: float = 0.0
    activity: str | None = None
    activity_confidence: float = 0.0
    genre: str | None = None
    genre_confidence: float = 0.0
    era: str | None = None
    era_confidence: float = 0.0
    embedding: list[float] = []

    def labels(self) -> dict[str, tuple[str, float]]:
        """The dimensions that have a label: name → (label, confidence)."""
        found = {
            "mood": (self.mood, self.mood_confidence),
            "activity": (self.activity, self.activity_confidence),
            "genre": (self.genre, self.genre_confidence),
            "era": (self.era, self.era_confidence),
        }
        return {name: (label, conf) for name, (label, conf) in found.items() if label is not None}


_lock = threading.Lock()
_label_vectors: dict[str, Vectors] = {}


def _labels_of(dimension: str) -> Vectors:
    with _lock:
        if dimension not in _label_vectors:
            _label_vectors[dimension] = embed(list(DESCRIPTIONS[dimension].values()))
        return _label_vectors[dimension]


def zero_shot(dimension: str, vector: Vectors) -> tuple[str | None, float]:
    """The label of ``dimension`` closest to one embedded title, with its confidence, or (None, 0)."""
    similarities = _labels_of(dimension) @ vector
    shares = calibrated(similarities[np.newaxis, :], TEMPERATURE)[0]
    best = int(np.argmax(shares))
    if similarities[best] < MIN_SIMILARITY or shares[best] < MIN_SHARE:
        return None, 0.0
    return list(DESCRIPTIONS[dimension])[best], round(ZERO_SHOT_CEILING * float(shares[best]), 4)


def title_signals(title: str) -> TitleSignals:
    vector = embed([title])[0]
    text = normalise(title)
    found: dict[str, tuple[str | None, float]] = {}
    for dimension in DESCRIPTIONS:
        label = lexicon_label(dimension, text)
        found[dimension] = (label, LEXICON_CONFIDENCE) if label else zero_shot(dimension, vector)
    decade = era(text)
    return TitleSignals(
        mood=found["mood"][0],
        mood_confidence=found["mood"][1],
        activity=found["activity"][0],
        activity_confidence=found["activity"][1],
        genre=found["genre"][0],
        genre_confidence=found["genre"][1],
        era=decade,
        era_confidence=ERA_CONFIDENCE if decade else 0.0,
        embedding=vector.tolist(),
    )


@dataclass(frozen=True)
class TitleGenreClassifier:
    """Nearest centroid over unit embeddings: one mean direction per genre, cosine to pick."""

    classes: tuple[str, ...]
    centroids: Vectors

    def scores(self, titles: Sequence[str]) -> Vectors:
        """Titles × classes: calibrated shares."""
        return calibrated(embed(titles) @ self.centroids.T, TEMPERATURE)

    def predict(self, titles: Sequence[str]) -> list[str]:
        if not titles:
            return []
        return [self.classes[i] for i in np.argmax(self.scores(titles), axis=1)]


def train_title_genre(titles: Sequence[str], labels: Sequence[str]) -> TitleGenreClassifier:
    """A genre classifier from titles with known genres (each title counts once per row given)."""
    if len(titles) != len(labels) or not titles:
        msg = f"need as many labels as titles, and at least one: {len(titles)} titles, {len(labels)} labels"
        raise ValueError(msg)
    vectors = embed(titles)
    classes = tuple(sorted(set(labels)))
    index = {name: i for i, name in enumerate(classes)}
    rows: npt.NDArray[np.int64] = np.asarray([index[label] for label in labels], dtype=np.int64)
    sums = np.zeros((len(classes), vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, rows, vectors)
    centroids = (sums / np.linalg.norm(sums, axis=1, keepdims=True)).astype(np.float32)
    return TitleGenreClassifier(classes=classes, centroids=centroids)
