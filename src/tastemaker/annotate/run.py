"""One annotation run: read what is known of each track in batches, ask every labeler, combine, and
write ``labels["annotations"]`` beside the track's other labels.

Tracks are the trained model's items (``tastemaker train``): the Store has no scans, and the model
lists every track anybody listened to. Playlist titles come from the user playlists of the model's
listeners, read once per listener before the first batch. A track whose annotations did not change
is not written again, so a re-run is cheap and leaves the Store as it was.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tastemaker.annotate.combine import combine
from tastemaker.annotate.labeler import Label, Labeler, TrackContext
from tastemaker.audio.records import load_features_many
from tastemaker.storage.store import Store

LABEL_KEY = "annotations"
USER_PLAYLISTS = "user"
BATCH = 1000


@dataclass
class LabelerReport:
    labelled: int = 0
    labels: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    """Reason → tracks."""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "labelled": self.labelled,
            "labels": self.labels,
            "skipped": sum(self.skipped.values()),
            "skip_reasons": dict(self.skipped.most_common()),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class RunReport:
    tracks: int = 0
    written: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    labelers: dict[str, LabelerReport] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tracks": self.tracks,
            "written": self.written,
            "unchanged": self.unchanged,
            "seconds": round(self.seconds, 3),
            "tracks_per_s": round(self.tracks / self.seconds, 1) if self.seconds else 0.0,
            "labelers": {name: report.as_dict() for name, report in self.labelers.items()},
        }

    def summary(self) -> str:
        lines = [
            f"Annotated {self.tracks} tracks in {self.seconds:.1f} s "
            f"({self.tracks / max(self.seconds, 1e-9):.0f} tracks/s): {self.written} written, "
            f"{self.unchanged} unchanged"
        ]
        for name, report in self.labelers.items():
            skipped = sum(report.skipped.values())
            line = f"  {name}: {report.labelled} tracks labelled ({report.labels} labels), {skipped} skipped"
            if report.skipped:
                reason, count = report.skipped.most_common(1)[0]
                line += f"; most often: {reason} ({count})"
            lines.append(line)
        return "\n".join(lines)


def playlist_titles(store: Store, users: Sequence[str]) -> dict[str, list[str]]:
    """Track → the titles of the listeners' playlists it is in (one entry per playlist)."""
    titles: dict[str, list[str]] = defaultdict(list)
    for user in users:
        for playlist in store.get_playlists(user, USER_PLAYLISTS):
            if playlist.name.strip():
                for track_id in dict.fromkeys(playlist.track_ids):
                    titles[track_id].append(playlist.name)
    return titles


def contexts(store: Store, track_ids: Sequence[str], titles: dict[str, list[str]]) -> list[TrackContext]:
    tracks = store.get_tracks(track_ids)
    features = load_features_many(store, track_ids)
    return [
        TrackContext(
            track_id=track_id,
            track=tracks.get(track_id),
            features=features.get(track_id),
            labels=store.get_labels(track_id) or {},
            playlist_titles=tuple(titles.get(track_id, ())),
        )
        for track_id in track_ids
    ]


def annotate(
    store: Store,
    track_ids: Sequence[str],
    labelers: Sequence[Labeler],
    *,
    users: Sequence[str] = (),
    on_batch: Callable[[int], object] | None = None,
) -> RunReport:
    """Annotate ``track_ids`` with ``labelers``; ``users``' playlists feed the playlist labeler."""
    started = time.monotonic()
    report = RunReport(labelers={labeler.name: LabelerReport() for labeler in labelers})
    titles = playlist_titles(store, users)
    for start in range(0, len(track_ids), BATCH):
        batch = contexts(store, track_ids[start : start + BATCH], titles)
        found: list[list[Label]] = [[] for _ in batch]
        for labeler in labelers:
            before = time.monotonic()
            labeler.skipped.clear()
            answers = labeler.labels(batch)
            stats = report.labelers[labeler.name]
            stats.seconds += time.monotonic() - before
            stats.skipped.update(labeler.skipped.values())
            for index, labels in enumerate(answers):
                found[index].extend(labels)
                stats.labelled += bool(labels)
                stats.labels += len(labels)
        for context, labels in zip(batch, found, strict=True):
            annotations = combine(labels)
            if context.labels.get(LABEL_KEY) == annotations:
                report.unchanged += 1
                continue
            store.put_labels(context.track_id, {**context.labels, LABEL_KEY: annotations})
            report.written += 1
        report.tracks += len(batch)
        if on_batch is not None:
            on_batch(len(batch))
    report.seconds = time.monotonic() - started
    return report
