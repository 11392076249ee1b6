"""The wisdom of playlists: a track that listeners put in playlists titled "workout bangers" is a
workout track. Each title is read once by ``title_signals`` (cue lexicon, then zero-shot embedding);
a track's label per kind is the value most of its playlists agree on.

The confidence is the mean confidence of the agreeing titles, times the share of the track's titles
that agree, times ``1 - 0.5**agreeing``: one playlist is an anecdote, five that agree are evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from tastemaker.annotate.labeler import Label, TrackContext
from tastemaker.nlp.embeddings import embed
from tastemaker.nlp.titles import TitleSignals, title_signals

NAME = "playlists"


class PlaylistLabeler:
    name = NAME

    def __init__(self) -> None:
        self.skipped: dict[str, str] = {}
        self._signals: dict[str, dict[str, tuple[str, float]]] = {}

    def _read(self, title: str) -> dict[str, tuple[str, float]]:
        found = self._signals.get(title)
        if found is None:
            signals: TitleSignals = title_signals(title)
            found = self._signals[title] = signals.labels()
        return found

    def labels(self, tracks: Sequence[TrackContext]) -> list[list[Label]]:
        unseen = list(dict.fromkeys(t for c in tracks for t in c.playlist_titles if t not in self._signals))
        if unseen:
            embed(unseen)  # one batch through the model; ``title_signals`` then finds each in the cache
        out: list[list[Label]] = []
        for context in tracks:
            if not context.playlist_titles:
                self.skipped[context.track_id] = "in no listener's playlist"
                out.append([])
                continue
            votes: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
            for title in context.playlist_titles:
                for kind, (value, confidence) in self._read(title).items():
                    votes[kind][value].append(confidence)
            found: list[Label] = []
            total = len(context.playlist_titles)
            for kind, values in votes.items():
                value, confidences = max(values.items(), key=lambda item: (sum(item[1]), item[0]))
                agreeing = len(confidences)
                confidence = sum(confidences) / agreeing * (agreeing / total) * (1 - 0.5**agreeing)
                evidence = f"{agreeing} of {total} playlists"
                found.append(Label(kind, value, round(confidence, 3), NAME, evidence))
            out.append(found)
        return out
