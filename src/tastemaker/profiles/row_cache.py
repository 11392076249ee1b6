"""Bounded LRU caches of tracks' stored rows, so the profiler reads each track's row once.

The profiler asks once per distinct track per batch; the tracks not cached are read from the Store in
one multi-get, and a hit costs a dict lookup. Two rows are cached this way: audio features
(``get_features_many``, as ``TrackAudio``) and annotation labels (``get_labels_many``, as label pairs).
Most tracks have neither yet (only ``tastemaker scan``, the catalog consumer and ``tastemaker annotate``
write them), so "none" is cached too, for ``miss_ttl_s``: a row can appear a moment later, and a
listener's next play after that should fold it in. Rows found are re-read after ``ttl_s``, so that
values refined by a re-analysis or a re-annotation reach the profiles of hot tracks too.

Memory: an audio entry is two small float64 arrays (26 + 13 numbers), a tuple and its key, about
0.7 KiB, so the default 50,000 entries hold about 35 MiB; a label entry is a few short tuples. Used by
one profiler thread only: no lock.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from tastemaker.profiles.audio_features import TrackAudio, track_audio
from tastemaker.profiles.labels import TrackLabel, track_labels
from tastemaker.storage.store import Store

T = TypeVar("T")


class RowCache(Generic[T]):
    """Rows read by ``read`` (a Store multi-get) and turned into values by ``convert`` (None: nothing)."""

    def __init__(
        self,
        read: Callable[[list[str]], Mapping[str, Any]],
        convert: Callable[[Any], T | None],
        *,
        capacity: int = 50_000,
        ttl_s: float = 3600.0,
        miss_ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read_rows = read
        self._convert = convert
        self._capacity = capacity
        self._ttl_s = ttl_s
        self._miss_ttl_s = miss_ttl_s
        self._clock = clock
        self._entries: OrderedDict[str, tuple[T | None, float]] = OrderedDict()
        """track id → (its value, or None for "no row"; the clock time the entry expires)."""
        self.reads = 0
        """Store reads so far: what the cache saves is visible (tests, metrics)."""

    def get_many(self, track_ids: Iterable[str]) -> dict[str, T]:
        """The values of those tracks that have one; one Store read per track not cached."""
        now = self._clock()
        entries = self._entries
        found: dict[str, T] = {}
        wanted = list(dict.fromkeys(track_ids))  # distinct, in order: the last asked stays longest
        stale = [t for t in wanted if (entry := entries.get(t)) is None or entry[1] <= now]
        if stale:
            self._read(stale, now)
        for track_id in wanted:
            entries.move_to_end(track_id)
            value = entries[track_id][0]
            if value is not None:
                found[track_id] = value
        while len(entries) > self._capacity:
            entries.popitem(last=False)
        return found

    def _read(self, track_ids: list[str], now: float) -> None:
        self.reads += len(track_ids)
        rows = self._read_rows(track_ids)
        for track_id in track_ids:
            value = self._convert(rows.get(track_id))
            self._entries[track_id] = (value, now + (self._miss_ttl_s if value is None else self._ttl_s))

    def __len__(self) -> int:
        return len(self._entries)


class AudioCache(RowCache[TrackAudio]):
    """Tracks' audio features and similarity vectors."""

    def __init__(self, store: Store, **options: Any) -> None:
        super().__init__(store.get_features_many, track_audio, **options)


def _labels_or_none(row: Mapping[str, Any] | None) -> tuple[TrackLabel, ...] | None:
    return track_labels(row) or None


class LabelCache(RowCache[tuple[TrackLabel, ...]]):
    """Tracks' annotation labels worth folding into a profile (``profiles/labels.py``)."""

    def __init__(self, store: Store, **options: Any) -> None:
        super().__init__(store.get_labels_many, _labels_or_none, **options)
