"""Sentiment of lyrics and short texts with VADER (its lexicon ships inside ``vaderSentiment``).

VADER is built for sentences: on a whole song its compound score saturates at ±1 as soon as a few
strong words add up, so a multi-line text is scored line by line (and sentence by sentence) and the
scores averaged. On the emoMusic transcripts that raised the correlation with annotated valence
(Pearson 0.053 → 0.090, docs/nlp.md); a single line scores as VADER scores it.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from tastemaker.nlp.requires import optional_import

_SEGMENTS = re.compile(r"[\n\r.!?;]+")
_lock = threading.Lock()
_analyzer: Any = None


def _vader() -> Any:
    global _analyzer
    with _lock:
        if _analyzer is None:
            _analyzer = optional_import("vaderSentiment.vaderSentiment").SentimentIntensityAnalyzer()
        return _analyzer


def segments(text: str) -> list[str]:
    """Lines and sentences: the unit VADER was made for."""
    return [part.strip() for part in _SEGMENTS.split(text) if part.strip()]


def sentiment(text: str) -> float:
    """From −1 (negative) to 1 (positive); 0 for a text with no sentiment words (or no words)."""
    analyzer = _vader()
    scores = [float(analyzer.polarity_scores(part)["compound"]) for part in segments(text)]
    return sum(scores) / len(scores) if scores else 0.0


def valence(text: str) -> float:
    """Spotify's scale, 0 (sad, angry) to 1 (happy, cheerful): ``sentiment`` moved onto 0..1."""
    return (sentiment(text) + 1.0) / 2.0
