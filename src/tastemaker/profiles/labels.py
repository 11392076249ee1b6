"""A track's annotation labels as the profile folds them: (``"kind:value"``, confidence) pairs.

The annotator stores one winning value per kind with a confidence (``annotate/combine.py``) under the
track's ``labels["annotations"]``. Genre is left out: the profile's genre table already comes from the
catalog, and a second, differently-sourced genre table would split one taste in two.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tastemaker.annotate.run import LABEL_KEY

TrackLabel = tuple[str, float]
PROFILE_KINDS = ("mood", "activity", "vocal", "era", "theme")


def track_labels(row: Mapping[str, Any] | None) -> tuple[TrackLabel, ...]:
    """The labels of one stored labels row worth folding (known kinds, confidence in (0, 1]).

    Examples:
        >>> track_labels({"annotations": {"mood": {"value": "chill", "confidence": 0.8}, "genre": {}}})
        (('mood:chill', 0.8),)
        >>> track_labels(None)
        ()
    """
    annotations = (row or {}).get(LABEL_KEY)
    if not isinstance(annotations, Mapping):
        return ()
    found: list[TrackLabel] = []
    for kind in PROFILE_KINDS:
        label = annotations.get(kind)
        if not isinstance(label, Mapping):
            continue
        value, confidence = label.get("value"), label.get("confidence")
        if isinstance(value, str) and value and isinstance(confidence, int | float) and 0 < confidence <= 1:
            found.append((f"{kind}:{value}", float(confidence)))
    return tuple(found)


def split_key(key: str) -> tuple[str, str]:
    """``"mood:chill"`` → ``("mood", "chill")``."""
    kind, _, value = key.partition(":")
    return kind, value
