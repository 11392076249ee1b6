"""The DJ's spoken-style segment text: one or two short sentences about what the batch actually is.

Chosen from facts, not at random: what the listener just did (a skip, a like), whether the batch is
mostly familiar, mostly new or popular picks for a cold start, where the tempo is heading, and the
mood or activity most of the batch shares when its tracks carry annotations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

TEMPO_TREND = 0.08  # the last track 8 % faster (slower) than the first: "Picking up the pace…"


@dataclass(frozen=True, slots=True)
class Said:
    """What a segment may talk about: one picked track."""

    kind: str  # "familiar", "discovery" or "popular"
    artist_name: str | None
    tempo: float | None
    mood: str | None = None  # from the track's annotations (tastemaker annotate), when it has some
    activity: str | None = None


@dataclass(frozen=True, slots=True)
class Reaction:
    type: str  # "skip" or "like"
    track_name: str | None
    artist_name: str | None


def _reaction(reactions: Sequence[Reaction]) -> str | None:
    skips = [r for r in reactions if r.type == "skip"]
    likes = [r for r in reactions if r.type == "like"]
    if skips:
        artist = skips[-1].artist_name
        return f"Switching it up — moving away from {artist}." if artist else "Switching it up."
    if likes:
        name = likes[-1].track_name
        return f"Glad you liked “{name}” — more in that direction." if name else "More in that direction."
    return None


def _body(picks: Sequence[Said], context: str | None) -> str:
    kinds = Counter(p.kind for p in picks)
    if kinds["popular"] * 2 >= len(picks):
        return (
            f"A {context} set, starting with what's popular…" if context else "Starting with what's popular…"
        )
    if kinds["familiar"] * 5 >= len(picks) * 3:
        played = Counter(p.artist_name for p in picks if p.artist_name and p.kind == "familiar")
        artists = [a for a, _ in played.most_common(2)]
        if artists:
            return f"Back to the artists you keep coming back to: {' and '.join(artists)}…"
        return "Back to the tracks you keep coming back to…"
    if kinds["discovery"] * 2 > len(picks):
        return "Something new in the same vein…"
    return "Your favourites, with something new mixed in…"


def _tempo(picks: Sequence[Said]) -> str | None:
    tempos = [p.tempo for p in picks if p.tempo]
    if len(tempos) < 2:
        return None
    if tempos[-1] > tempos[0] * (1 + TEMPO_TREND):
        return "Picking up the pace."
    if tempos[-1] < tempos[0] * (1 - TEMPO_TREND):
        return "Bringing it down a notch."
    return None


def _vibe(picks: Sequence[Said]) -> str | None:
    """The mood and activity at least half of the picks share: "A chill stretch, good for focus."."""
    moods = Counter(p.mood for p in picks if p.mood).most_common(1)
    activities = Counter(p.activity for p in picks if p.activity).most_common(1)
    mood = moods[0][0] if moods and moods[0][1] * 2 >= len(picks) else None
    activity = activities[0][0] if activities and activities[0][1] * 2 >= len(picks) else None
    if mood and activity:
        return f"A {mood} stretch, good for {activity}."
    if mood:
        return f"Keeping it {mood}."
    return f"Good for {activity}." if activity else None


def segment(picks: Sequence[Said], *, reactions: Sequence[Reaction] = (), context: str | None = None) -> str:
    """E.g. "Switching it up — moving away from Alpha. Something new in the same vein…".

    Examples:
        >>> segment([Said("discovery", "A", 100.0), Said("discovery", "B", 120.0)])
        'Something new in the same vein… Picking up the pace.'
    """
    parts = (
        [_reaction(reactions), _body(picks, context), _vibe(picks), _tempo(picks)]
        if picks
        else [_reaction(reactions)]
    )
    text = " ".join(p for p in parts if p)
    return text or "That's all for now — the catalog has run out of new tracks for this session."
