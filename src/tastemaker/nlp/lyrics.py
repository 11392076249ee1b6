"""What a song's lyrics say: sentiment, valence, themes, language, explicitness, size; and where that
is kept, under the ``"lyrics"`` key of the track's labels, next to what other labelers wrote there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from tastemaker.nlp import embeddings
from tastemaker.nlp.explicit import is_explicit
from tastemaker.nlp.language import detect
from tastemaker.nlp.sentiment import sentiment
from tastemaker.nlp.themes import theme_scores
from tastemaker.storage.store import Store

LABEL_KEY = "lyrics"
ANALYSIS_VERSION = "1"
"""Bump when what ``analyze_lyrics`` computes changes, so stored analyses can be told apart."""


class LyricsAnalysis(msgspec.Struct, kw_only=True):
    sentiment: float
    """VADER compound, −1..1, averaged over lines."""
    valence: float
    """0..1 (Spotify's scale)."""
    themes: dict[str, float]
    language: str
    language_confidence: float
    explicit: bool
    lines: int
    words: int


def lyric_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def analyze_many(texts: Sequence[str]) -> list[LyricsAnalysis]:
    """``analyze_lyrics`` for many songs, embedding them in batches."""
    vectors = embeddings.embed(list(texts))
    out: list[LyricsAnalysis] = []
    for text, found in zip(texts, theme_scores(vectors), strict=True):
        score = sentiment(text)
        language, confidence = detect(text)
        out.append(
            LyricsAnalysis(
                sentiment=round(score, 4),
                valence=round((score + 1.0) / 2.0, 4),
                themes=found,
                language=language,
                language_confidence=round(confidence, 4),
                explicit=is_explicit(text),
                lines=len(lyric_lines(text)),
                words=len(text.split()),
            )
        )
    return out


def analyze_lyrics(text: str) -> LyricsAnalysis:
    return analyze_many([text])[0]


def provenance() -> dict[str, str]:
    return {"source": "lyrics", "model": embeddings.model_version(), "version": ANALYSIS_VERSION}


def store_analysis(store: Store, track_id: str, analysis: LyricsAnalysis) -> None:
    """Write under ``labels["lyrics"]``, keeping every other key of the track's labels as it was."""
    labels: dict[str, Any] = store.get_labels(track_id) or {}
    labels[LABEL_KEY] = {**msgspec.to_builtins(analysis), "provenance": provenance()}
    store.put_labels(track_id, labels)
