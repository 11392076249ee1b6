"""Labels from the 12 audio features: mood, activity, vocal/instrumental by rule, genre by the
shipped classifier (``genre_model``).

Mood is the quadrant of valence × energy (Russell's circumplex, the axes Spotify's features measure):
happy (positive, energetic), chill (positive, calm), sad (negative, calm), angry (negative, tense).
The confidence grows with the distance from the centre: a track at (0.5, 0.5) is no quadrant at all.
Activity is read from tempo, energy, danceability, acousticness and instrumentalness with thresholds
chosen from Spotify's feature definitions; a track no rule fits gets no activity.
"""

from __future__ import annotations

from collections.abc import Sequence

from tastemaker.annotate import genre_model
from tastemaker.annotate.labeler import Label, TrackContext
from tastemaker.audio.model import AudioFeatures

NAME = "audio"
MIN_MOOD_DISTANCE = 0.1
"""Closer to (0.5, 0.5) than this in valence × energy: no mood."""
GENRE_FLOOR = 0.35
"""A genre probability under this is a shrug, not a label."""


def mood(features: AudioFeatures) -> tuple[str, float] | None:
    valence, energy = features.valence - 0.5, features.energy - 0.5
    distance = (valence**2 + energy**2) ** 0.5
    if distance < MIN_MOOD_DISTANCE:
        return None
    quadrants = {(True, True): "happy", (True, False): "chill", (False, False): "sad", (False, True): "angry"}
    return quadrants[(valence >= 0, energy >= 0)], round(min(0.9, 0.4 + distance), 3)


def activity(features: AudioFeatures) -> tuple[str, float] | None:
    f = features
    if f.energy < 0.25 and f.acousticness > 0.6 and f.tempo < 100:
        return "sleep", 0.7
    if f.energy >= 0.75 and f.tempo >= 115 and f.danceability >= 0.5:
        return "workout", round(min(0.85, 0.5 + (f.energy - 0.75) + (f.tempo - 115) / 200), 3)
    if f.danceability >= 0.7 and f.energy >= 0.6:
        return "party", round(min(0.85, 0.4 + (f.danceability - 0.7) + (f.energy - 0.6)), 3)
    if f.instrumentalness >= 0.5 and f.energy < 0.6 and f.speechiness < 0.1:
        return "focus", 0.6
    if f.energy < 0.45 and f.valence >= 0.3:
        return "relax", 0.5
    return None


def vocal(features: AudioFeatures) -> tuple[str, float]:
    """Instrumental when Spotify's instrumentalness says so and little is spoken; vocal otherwise."""
    if features.instrumentalness >= 0.5 and features.speechiness < 0.2:
        return "instrumental", round(min(0.95, features.instrumentalness), 3)
    return "vocal", round(min(0.95, max(0.5, 1.0 - features.instrumentalness)), 3)


def _evidence(f: AudioFeatures) -> str:
    return (
        f"valence {f.valence:.2f}, energy {f.energy:.2f}, danceability {f.danceability:.2f}, "
        f"tempo {f.tempo:.0f}, instrumentalness {f.instrumentalness:.2f}"
    )


class AudioLabeler:
    name = NAME

    def __init__(self) -> None:
        self.skipped: dict[str, str] = {}

    def labels(self, tracks: Sequence[TrackContext]) -> list[list[Label]]:
        out: list[list[Label]] = [[] for _ in tracks]
        analysed = [(i, t.features) for i, t in enumerate(tracks) if t.features is not None]
        for track in tracks:
            if track.features is None:
                self.skipped[track.track_id] = "no audio features (run tastemaker analyze)"
        if not analysed:
            return out
        model = genre_model.shipped()
        probabilities = model.probabilities(genre_model.raw_matrix([f for _, f in analysed]))
        for (index, features), row in zip(analysed, probabilities, strict=True):
            why = _evidence(features)
            found: list[Label] = []
            for kind, answer in (("mood", mood(features)), ("activity", activity(features))):
                if answer is not None:
                    found.append(Label(kind, answer[0], answer[1], NAME, why))
            value, confidence = vocal(features)
            found.append(Label("vocal", value, confidence, NAME, why))
            best = int(row.argmax())
            if row[best] >= GENRE_FLOOR:
                found.append(
                    Label("genre", model.classes[best], round(float(row[best]), 3), NAME, "genre model")
                )
            out[index] = found
        return out
