"""What a piece of web text about music says (an artist bio, a track review): its embedding, its
keywords, its language and tone, stored as a track's ``"description"`` label.

Keywords are picked YAKE-style from the text's own statistics, with no corpus and no download: runs of
one or two words between stop words and punctuation, scored by how often they occur, how early they
first appear (a bio names what matters in its first sentences), and how often they are capitalised
mid-sentence (names of people, places, labels, genres such as "Detroit techno").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import msgspec

from tastemaker.nlp import embeddings
from tastemaker.nlp.language import detect
from tastemaker.nlp.sentiment import sentiment
from tastemaker.storage.store import Store

LABEL_KEY = "description"
VERSION = "1"
TOP = 10
PHRASE_WEIGHT = 2.6
"""A repeated two-word phrase ("Detroit techno") stands for both its words, and then some."""
STOP_WORDS = frozenset(
    (
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
        "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
        "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from",
        "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself",
        "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most",
        "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our",
        "ours", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the",
        "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those",
        "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when",
        "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours",
        "yourself", "one", "two", "first", "new", "many", "much", "like", "well", "still", "even", "later",
        "since", "across", "along", "among", "album", "albums", "song", "songs", "track", "tracks", "music",
        "band", "record", "records", "released", "release", "year", "years", "time",
    )
)  # fmt: skip
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_WORDS = re.compile(r"[^\W\d_][\w'’&-]*", re.UNICODE)


class WebText(msgspec.Struct, kw_only=True):
    keywords: dict[str, float]
    """Keyword → score in 0..1 (the best is 1), best first."""
    language: str
    sentiment: float
    words: int
    embedding: list[float]


def _candidates(text: str) -> tuple[Counter[str], dict[str, int], Counter[str]]:
    """Counts, first sentence and mid-sentence capitalised counts of every one- and two-word run."""
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    capitalised: Counter[str] = Counter()
    for number, sentence in enumerate(s for s in _SENTENCES.split(text) if s.strip()):
        run: list[tuple[str, bool]] = []
        for position, match in enumerate(_WORDS.finditer(sentence)):
            word = match.group()
            if word.lower() in STOP_WORDS or len(word) < 3:
                run = []
                continue
            after_punctuation = match.start() > 0 and sentence[match.start() - 1] in ',;:()"'
            item = (word, position > 0 and word[0].isupper())
            run = [item] if after_punctuation else [*run, item]
            for size in (1, 2):
                if len(run) >= size:
                    words = run[-size:]
                    key = " ".join(w.lower() for w, _ in words)
                    counts[key] += 1
                    first.setdefault(key, number)
                    if all(cap for _, cap in words):
                        capitalised[key] += 1
    return counts, first, capitalised


def keywords(text: str, top: int = TOP) -> dict[str, float]:
    """The ``top`` keywords; a two-word phrase (repeated, or a name) is kept instead of its words."""
    counts, first, capitalised = _candidates(text)
    scores = {
        key: count
        * (1.0 + 1.0 / math.log2(2 + first[key]))
        * (1.0 + capitalised[key] / count)
        * (PHRASE_WEIGHT if " " in key else 1.0)
        for key, count in counts.items()
        if " " not in key or count > 1 or capitalised[key]
    }
    chosen: list[str] = []
    for key in sorted(scores, key=lambda k: (-scores[k], k)):
        if any(key in kept.split() or kept in key.split() for kept in chosen):
            continue
        chosen.append(key)
        if len(chosen) == top:
            break
    best = max((scores[k] for k in chosen), default=1.0)
    return {key: round(scores[key] / best, 4) for key in chosen}


def describe(text: str) -> WebText:
    language, _ = detect(text)
    return WebText(
        keywords=keywords(text),
        language=language,
        sentiment=round(sentiment(text), 4),
        words=len(text.split()),
        embedding=embeddings.embed([text])[0].tolist(),
    )


def store_description(store: Store, track_id: str, found: WebText, *, source: str) -> None:
    """Under ``labels["description"]`` (without the embedding: 384 floats per track are the embedding
    cache's to keep), leaving the track's other labels as they were."""
    labels: dict[str, Any] = store.get_labels(track_id) or {}
    entry = {key: value for key, value in msgspec.to_builtins(found).items() if key != "embedding"}
    entry["provenance"] = {"source": source, "model": embeddings.model_version(), "version": VERSION}
    labels[LABEL_KEY] = entry
    store.put_labels(track_id, labels)
