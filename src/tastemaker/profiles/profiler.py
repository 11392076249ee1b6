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
from tastemaker.events.schema import TRACK_EVENTS
from tastemaker.profiles.profile import ProfileParams, TasteProfile, apply_event, decode, encode
from tastemaker.storage.store import Store

PROFILE_EVENTS = TRACK_EVENTS


class Profiler:
    name = "profiler"

    def __init__(self, store: Store, tracks: TrackCache, params: ProfileParams) -> None:
        self.store = store
        self.tracks = tracks
        self.params = params

    def handle(self, records: Sequence[Record]) -> None:
        relevant = [r for r in records if isinstance(r.event, PROFILE_EVENTS)]
        if not relevant:
            return
        users = {r.event.user_id for r in relevant}
        stored = self.store.get_profiles(users)
        profiles = {user: decode(stored[user]) if user in stored else TasteProfile(user_id=user) for user in users}
        track_ids = {r.event.track_id for r in relevant if getattr(r.event, "track_id", None)}
        tracks = self.tracks.get_many(track_ids)  # type: ignore[arg-type]
        for record in relevant:
            profile = profiles[record.event.user_id]
            key = str(record.partition)
            if record.offset <= profile.applied.get(key, -1):
                continue
            track_id = getattr(record.event, "track_id", None)
            apply_event(profile, record.event, tracks.get(track_id) if track_id else None, self.params)
            profile.applied[key] = record.offset
        now = datetime.now(UTC)
        for profile in profiles.values():
            profile.updated_at = now
        self.store.put_profiles({user: encode(profile) for user, profile in profiles.items()})
