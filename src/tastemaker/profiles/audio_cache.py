"""A bounded LRU cache of tracks' stored audio features, so the profiler reads each track's row once.

The profiler asks once per distinct track per batch; the tracks not cached are read from the Store in
one multi-get (``get_features_many``), and a hit costs a dict lookup.
Most tracks have no features yet (only ``tastemaker scan`` and the catalog consumer write them), so
"none" is cached too, for ``miss_ttl_s``: features can appear a moment later, and a listener's next
play after that should fold them in. Rows with features are re-read after ``ttl_s``, so that values
refined by a re-analysis reach the profiles of hot tracks too, not only of those evicted.

Memory: an entry is two small float64 arrays (26 + 13 numbers), a tuple and its key, about 0.7 KiB,
so the default 50,000 entries hold about 35 MiB. Used by one profiler thread only: no lock.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from tastemaker.profiles.audio_features import TrackAudio, track_audio
from tastemaker.storage.store import Store


class AudioCache:
    def __init__(
        self,
        store: Store,
        *,
        capacity: int = 50_000,
        ttl_s: float = 3600.0,
        miss_ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._capacity = capacity
        self._ttl_s = ttl_s
        self._miss_ttl_s = miss_ttl_s
        self._clock = clock
        self._entries: OrderedDict[str, tuple[TrackAudio | None, float]] = OrderedDict()
        """track id → (its audio, or None for "no features"; the clock time the entry expires)."""
        self.reads = 0
        """Store reads so far: what the cache saves is visible (tests, metrics)."""

    def get_many(self, track_ids: Iterable[str]) -> dict[str, TrackAudio]:
        """The audio of those tracks that have some; one Store read per track not cached."""
        now = self._clock()
        entries = self._entries
        found: dict[str, TrackAudio] = {}
        wanted = list(dict.fromkeys(track_ids))  # distinct, in order: the last asked stays longest
        stale = [t for t in wanted if (entry := entries.get(t)) is None or entry[1] <= now]
        if stale:
            self._read(stale, now)
        for track_id in wanted:
            entries.move_to_end(track_id)
            audio = entries[track_id][0]
            if audio is not None:
                found[track_id] = audio
        while len(entries) > self._capacity:
            entries.popitem(last=False)
        return found

    def _read(self, track_ids: list[str], now: float) -> None:
        self.reads += len(track_ids)
        rows = self._store.get_features_many(track_ids)
        for track_id in track_ids:
            audio = track_audio(rows.get(track_id))
            self._entries[track_id] = (audio, now + (self._miss_ttl_s if audio is None else self._ttl_s))

    def __len__(self) -> int:
        return len(self._entries)
