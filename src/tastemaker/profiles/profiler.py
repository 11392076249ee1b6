"""The profiler consumer: folds every listening event into its user's Taste Profile.

Per batch it loads each touched profile once, applies the events in log order, and writes all
profiles in one transaction. Each profile remembers the last offset it applied per partition, so
a batch delivered twice (a crash between sink flush and commit) is applied once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tastemaker.catalog.track_cache import TrackCache
from tastemaker.events.log import Record
from tastemaker.events.schema import TrackRef
from tastemaker.profiles.profile import ProfileParams, TasteProfile, apply_event, decode, encode
from tastemaker.storage.store import Store


class Profiler:
    name = "profiler"

    def __init__(self, store: Store, tracks: TrackCache, params: ProfileParams) -> None:
        self.store = store
        self.tracks = tracks
        self.params = params

    def handle(self, records: Sequence[Record]) -> None:
        relevant = [(r, r.event) for r in records if isinstance(r.event, TrackRef)]
        if not relevant:
            return
        users = {event.user_id for _, event in relevant}
        stored = self.store.get_profiles(users)
        profiles = {user: decode(stored[user]) if user in stored else TasteProfile(user_id=user) for user in users}
        tracks = self.tracks.get_many({event.track_id for _, event in relevant if event.track_id})
        for record, event in relevant:
            profile = profiles[event.user_id]
            key = str(record.partition)
            if record.offset <= profile.applied.get(key, -1):
                continue
            apply_event(profile, event, tracks.get(event.track_id) if event.track_id else None, self.params)
            profile.applied[key] = record.offset
        now = datetime.now(UTC)
        for profile in profiles.values():
            profile.updated_at = now
        self.store.put_profiles({user: encode(profile) for user, profile in profiles.items()})
