"""A bounded read-through cache of catalog tracks, shared by the consumers of one process.

Consumers look tracks up for every event; the cache turns that into one multi-get per batch.
Misses are not cached, because the archiver may create the track a moment later.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from tastemaker.storage.models import Track
from tastemaker.storage.store import Store


class TrackCache:
    def __init__(self, store: Store, *, capacity: int = 100_000) -> None:
        self._store = store
        self._capacity = capacity
        self._tracks: OrderedDict[str, Track] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, track_ids: Iterable[str]) -> dict[str, Track]:
        wanted = set(track_ids)
        found: dict[str, Track] = {}
        with self._lock:
            for track_id in wanted:
                track = self._tracks.get(track_id)
                if track is not None:
                    self._tracks.move_to_end(track_id)
                    found[track_id] = track
        missing = wanted - found.keys()
        if missing:
            loaded = self._store.get_tracks(missing)
            self.remember(loaded.values())
            found.update(loaded)
        return found

    def remember(self, tracks: Iterable[Track]) -> None:
        with self._lock:
            for track in tracks:
                self._tracks[track.track_id] = track
                self._tracks.move_to_end(track.track_id)
            while len(self._tracks) > self._capacity:
                self._tracks.popitem(last=False)

    def __contains__(self, track_id: str) -> bool:
        with self._lock:
            return track_id in self._tracks
