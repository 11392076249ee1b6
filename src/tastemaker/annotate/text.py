"""Labels from text about a track: what the lyrics say (the analysis ``tastemaker lyrics import``
stored under ``labels["lyrics"]``: the leading theme, a mood from the themes and the lyrics' valence)
and the keywords of a description (``tastemaker describe``, under ``labels["description"]``) that
name a genre or a mood, read with the playlist-title cue lexicon ("Detroit techno" → edm).

Lyrics tell the mood of the words, not of the sound (a sad text over a dance beat is common), so the
confidences here stay below the audio labeler's for the same strength of evidence and the combiner
lets agreement decide. Genre is not guessed from lyrics: themes separate genres too weakly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tastemaker.annotate.labeler import Label, TrackContext
from tastemaker.nlp import webtext
from tastemaker.nlp.lyrics import LABEL_KEY
from tastemaker.nlp.title_lexicon import lexicon_label

NAME = "text"
THEME_MOODS = {
    "heartbreak": "sad",
    "loneliness": "sad",
    "death": "sad",
    "nostalgia": "sad",
    "anger": "angry",
    "protest": "angry",
    "party": "happy",
    "empowerment": "happy",
    "hope": "happy",
    "love": "happy",
    "nature": "chill",
}
"""Themes that carry a mood; the others (faith, travel, money, family, freedom) do not."""
THEME_WEIGHT = 0.6
VALENCE_MARGIN = 0.15
"""Lyrics valence this far from neutral (0.5) is a mood on its own."""
KEYWORD_WEIGHT = 0.5
"""A keyword of a review names a genre less surely than a curator's playlist title."""


def _mood(analysis: dict[str, Any]) -> tuple[str, float, str] | None:
    themes: dict[str, float] = analysis.get("themes") or {}
    for theme, share in themes.items():  # best first
        if theme in THEME_MOODS:
            return THEME_MOODS[theme], round(THEME_WEIGHT * float(share), 3), f"lyrics theme {theme}"
    valence = analysis.get("valence")
    if isinstance(valence, int | float) and abs(valence - 0.5) >= VALENCE_MARGIN:
        confidence = round(min(0.6, abs(valence - 0.5)), 3)
        return ("happy" if valence > 0.5 else "sad"), confidence, f"lyrics valence {valence:.2f}"
    return None


def _lyrics(analysis: dict[str, Any]) -> list[Label]:
    found: list[Label] = []
    themes: dict[str, float] = analysis.get("themes") or {}
    if themes:
        theme, share = next(iter(themes.items()))
        found.append(Label("theme", theme, round(float(share), 3), NAME, "lyrics themes"))
    if (mood := _mood(analysis)) is not None:
        found.append(Label("mood", mood[0], mood[1], NAME, mood[2]))
    return found


def _description(entry: dict[str, Any]) -> list[Label]:
    """The best-scored keyword that is a genre (or mood) cue, per kind."""
    keywords: dict[str, float] = entry.get("keywords") or {}
    found: list[Label] = []
    for kind in ("genre", "mood"):
        for word, score in keywords.items():  # best first
            if (value := lexicon_label(kind, word.lower())) is not None:
                confidence = round(KEYWORD_WEIGHT * float(score), 3)
                found.append(Label(kind, value, confidence, NAME, f"description keyword {word!r}"))
                break
    return found


class TextLabeler:
    name = NAME

    def __init__(self) -> None:
        self.skipped: dict[str, str] = {}

    def labels(self, tracks: Sequence[TrackContext]) -> list[list[Label]]:
        out: list[list[Label]] = []
        for context in tracks:
            analysis = context.labels.get(LABEL_KEY)
            description = context.labels.get(webtext.LABEL_KEY)
            if not isinstance(analysis, dict) and not isinstance(description, dict):
                self.skipped[context.track_id] = (
                    "no lyrics analysis or description (tastemaker lyrics import)"
                )
                out.append([])
                continue
            found = _lyrics(analysis) if isinstance(analysis, dict) else []
            out.append(found + (_description(description) if isinstance(description, dict) else []))
        return out
