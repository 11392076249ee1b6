"""Themes of lyrics, zero-shot: the cosine between a text's embedding and short descriptions of each
theme, calibrated by a softmax with a temperature.

Raw cosines of MiniLM sit in a narrow band (0.1–0.8) whatever the text, so they are no confidence; a
softmax over the themes at ``TEMPERATURE`` turns the gaps between them into shares that sum to 1, and
``THRESHOLD`` keeps the themes that clearly stand out (at most ``TOP``). A text close to no theme at all
(best cosine under ``MIN_SIMILARITY``: a tracklist, a few ad-libs) gets none.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from tastemaker.nlp.embeddings import Vectors, embed

THEMES: dict[str, tuple[str, ...]] = {
    "love": ("a love song about being in love", "I love you, you are my everything", "romance and devotion"),
    "heartbreak": ("a breakup song about a broken heart", "I miss you, you left me and I cry", "lost love"),
    "party": ("a party song about dancing all night", "let's get drunk in the club tonight", "celebration"),
    "nostalgia": ("remembering the good old days", "memories of when we were young", "looking back"),
    "faith": ("a song about God and faith", "praise the Lord, Jesus saves", "prayer and heaven"),
    "protest": ("a protest song against injustice", "fight the system, the government lies", "revolution"),
    "loneliness": ("feeling alone and isolated", "nobody is there for me, I am so lonely", "solitude"),
    "empowerment": ("I am strong and I will survive", "believe in yourself and rise up", "confidence"),
    "travel": ("on the road travelling far away", "driving down the highway to a new town", "journey"),
    "nature": ("the beauty of nature, sky and sea", "mountains, rivers, trees and the sun", "the earth"),
    "money": ("getting rich, money and cars", "stacking cash, diamonds and gold chains", "wealth"),
    "death": ("a song about death and dying", "funeral, grave, gone forever", "mourning the dead"),
    "family": ("a song about family, mother and father", "my kids and my home", "growing up at home"),
    "freedom": ("breaking free and being free", "no chains can hold me, I am free", "liberation"),
    "anger": ("rage and anger, I hate you", "violence and fury, burn it down", "aggression"),
    "hope": ("hope for a better tomorrow", "the sun will shine again, don't give up", "optimism"),
}
TEMPERATURE = 0.05
THRESHOLD = 0.15
MIN_SIMILARITY = 0.3
TOP = 3

_lock = threading.Lock()
_prototypes: Vectors | None = None


def _theme_vectors() -> Vectors:
    """One unit vector per theme: the mean of its descriptions' embeddings."""
    global _prototypes
    with _lock:
        if _prototypes is None:
            rows = [embed(descriptions).mean(axis=0) for descriptions in THEMES.values()]
            matrix = np.asarray(rows, dtype=np.float32)
            _prototypes = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
        return _prototypes


def calibrated(similarities: Vectors, temperature: float = TEMPERATURE) -> Vectors:
    """Row-wise softmax of cosines: shares that sum to 1 per text."""
    logits = similarities / temperature
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    shares: Vectors = weights / weights.sum(axis=1, keepdims=True)
    return shares


def theme_scores(vectors: Vectors) -> list[dict[str, float]]:
    """``themes`` for texts already embedded (lyrics analysis embeds once for several uses)."""
    if len(vectors) == 0:
        return []
    similarities = vectors @ _theme_vectors().T
    shares = calibrated(similarities)
    names = list(THEMES)
    result: list[dict[str, float]] = []
    for sims, row in zip(similarities, shares, strict=True):
        if float(sims.max()) < MIN_SIMILARITY:
            result.append({})
            continue
        order = np.argsort(-row)[:TOP]
        result.append({names[i]: round(float(row[i]), 4) for i in order if row[i] >= THRESHOLD})
    return result


def themes(texts: Sequence[str]) -> list[dict[str, float]]:
    """For each text, its leading themes → calibrated share (0..1), best first; may be empty."""
    return theme_scores(embed(texts))
