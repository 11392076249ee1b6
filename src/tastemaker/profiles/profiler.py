"""The profiler consumer: folds every listening event into its user's Taste Profile.

Per batch it loads each touched profile once, applies the events in log order, and writes all
profiles in one transaction. Each profile remembers the last offset it applied per partition, so
a batch delivered twice (a crash between sink flush and commit) is applied once.

Decoded profiles stay in a bounded in-memory cache: a user's events all live in one partition and a
partition is consumed by one profiler at a time, so this process is the only writer of the profiles
it holds. If writing a batch fails the cache is dropped, because it may hold changes that never
reached the store.

Tracks' audio features and annotation labels come from bounded caches (``profiles/row_cache.py``),
asked once per batch for the distinct tracks in it, like the track cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime

from tastemaker.catalog.track_cache import TrackCache
from tastemaker.events.log import Record
from tastemaker.events.schema import TrackRef
from tastemaker.profiles.profile import ProfileParams, TasteProfile, apply_event, decode, encode
from tastemaker.profiles.row_cache import AudioCache, LabelCache
from tastemaker.storage.store import Store


class Profiler:
    name = "profiler"

    def __init__(
        self,
        store: Store,
        tracks: TrackCache,
        params: ProfileParams,
        *,
        cache_size: int = 50_000,
        audio: AudioCache | None = None,
        labels: LabelCache | None = None,
    ) -> None:
        self.store = store
        self.tracks = tracks
        self.params = params
        self.cache_size = cache_size
        self.audio = audio if audio is not None else AudioCache(store)
        self.labels = labels if labels is not None else LabelCache(store)
        self._cache: OrderedDict[str, TasteProfile] = OrderedDict()

    def _load(self, users: set[str]) -> dict[str, TasteProfile]:
        profiles = {user: self._cache[user] for user in users if user in self._cache}
        missing = users - profiles.keys()
        if missing:
            stored = self.store.get_profiles(missing)
            for user in missing:
                profiles[user] = decode(stored[user]) if user in stored else TasteProfile(user_id=user)
        return profiles

    def _remember(self, profiles: dict[str, TasteProfile]) -> None:
        for user, profile in profiles.items():
            self._cache[user] = profile
            self._cache.move_to_end(user)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def forget(self, user_id: str) -> int:
        """Drop the user's cached profile (privacy/forget.py), so a later event starts from the store,
        where the profile is gone, rather than from this copy; returns 1 if one was cached."""
        return int(self._cache.pop(user_id, None) is not None)

    def handle(self, records: Sequence[Record]) -> None:
        relevant = [(r, r.event) for r in records if isinstance(r.event, TrackRef)]
        if not relevant:
            return
        try:
            profiles = self._load({event.user_id for _, event in relevant})
            track_ids = {event.track_id for _, event in relevant if event.track_id}
            tracks = self.tracks.get_many(track_ids)
            audio = self.audio.get_many(track_ids)
            labels = self.labels.get_many(track_ids)
            params = self.params
            for record, event in relevant:
                profile = profiles[event.user_id]
                key = str(record.partition)
                if record.offset <= profile.applied.get(key, -1):
                    continue
                track_id = event.track_id
                if track_id:
                    apply_event(
                        profile,
                        event,
                        tracks.get(track_id),
                        params,
                        audio=audio.get(track_id),
                        labels=labels.get(track_id, ()),
                    )
                else:
                    apply_event(profile, event, None, params)
                profile.applied[key] = record.offset
            now = datetime.now(UTC)
            for profile in profiles.values():
                profile.updated_at = now
            self.store.put_profiles({user: encode(profile) for user, profile in profiles.items()})
        except BaseException:
            self._cache.clear()
            raise
        self._remember(profiles)
