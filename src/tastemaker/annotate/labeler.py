"""What a labeler sees and says, and the protocol every labeler follows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tastemaker.audio.model import AudioFeatures
from tastemaker.storage.models import Track

KINDS = ("genre", "mood", "activity", "vocal", "era", "theme")
"""The kinds of label; a labeler answers any subset of them."""


@dataclass(frozen=True, slots=True)
class Label:
    kind: str
    value: str
    confidence: float
    """0..1: how sure this labeler is, not how sure the combination is."""
    source: str
    """The labeler's name."""
    evidence: str = ""
    """Why, in a few words ("valence 0.21, energy 0.83"): kept as provenance."""


@dataclass(frozen=True, slots=True)
class TrackContext:
    """Everything known about one track before annotation, read once for every labeler."""

    track_id: str
    track: Track | None = None
    features: AudioFeatures | None = None
    labels: dict[str, Any] = field(default_factory=dict)
    """The track's stored labels (``labels["lyrics"]`` is the lyrics analysis)."""
    playlist_titles: tuple[str, ...] = ()
    """Titles of the listeners' playlists the track is in, one entry per playlist."""


class Labeler(Protocol):
    """A source of labels. ``labels`` answers one list per track, in order (empty when it has nothing
    to say); a track it could not judge at all is named in ``skipped`` with the reason, so a run
    reports why instead of failing."""

    name: str
    skipped: dict[str, str]

    def labels(self, tracks: Sequence[TrackContext]) -> list[list[Label]]: ...
