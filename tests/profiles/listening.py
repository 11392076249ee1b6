"""Test helpers: a catalog (tracks, stored audio features) and listening events, run through the real
profiler consumer on a real platform (SQLite log and store), then read back as the Store has them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tastemaker.audio.model import AudioFeatures, AudioResult
from tastemaker.audio.records import save_result
from tastemaker.events.schema import Event, Like, Play, Skip
from tastemaker.platform import Platform, profile_params
from tastemaker.profiles.profile import TasteProfile, decode, summary
from tastemaker.storage.models import Track


def audio_features(**overrides: float) -> AudioFeatures:
    """Mid-range features, with ``overrides`` (any of the 12) applied."""
    values: dict[str, Any] = {
        "acousticness": 0.3,
        "danceability": 0.5,
        "energy": 0.5,
        "instrumentalness": 0.1,
        "key": 0,
        "liveness": 0.1,
        "loudness": -9.0,
        "mode": 1,
        "speechiness": 0.05,
        "tempo": 120.0,
        "time_signature": 4,
        "valence": 0.5,
        "duration_ms": 200_000,
    }
    values.update(overrides)
    for name in ("key", "mode", "time_signature"):
        values[name] = int(values[name])
    return AudioFeatures(**values)


@dataclass
class Listening:
    """One platform's catalog and event stream; ``run()`` drains the real profiler over it."""

    platform: Platform
    t0: datetime
    events: list[Event] = field(default_factory=list)
    _n: int = 0

    def track(
        self,
        track_id: str,
        *,
        artist: str = "Band",
        release_date: str | None = None,
        popularity: float | None = None,
        features: AudioFeatures | None = None,
        vector: list[float] | None = None,
        duration_ms: int = 200_000,
    ) -> str:
        self.platform.store.put_tracks(
            [
                Track(
                    track_id=track_id,
                    name=track_id.upper(),
                    artist_name=artist,
                    duration_ms=duration_ms,
                    release_date=release_date,
                    popularity=popularity,
                    genres=["pop"],
                )
            ]
        )
        if features is not None:
            result = AudioResult(features=features, vector=vector if vector is not None else [0.0] * 12)
            save_result(self.platform.store, track_id, result)
        return track_id

    def _next(self, minutes: float | None) -> tuple[str, datetime]:
        self._n += 1
        return f"e{self._n}", self.t0 + timedelta(minutes=self._n if minutes is None else minutes)

    def play(
        self, user: str, track_id: str, *, ms_played: int = 200_000, minutes: float | None = None
    ) -> None:
        event_id, ts = self._next(minutes)
        self.events.append(
            Play(user_id=user, ts=ts, event_id=event_id, track_id=track_id, ms_played=ms_played)
        )

    def skip(self, user: str, track_id: str, *, minutes: float | None = None) -> None:
        event_id, ts = self._next(minutes)
        self.events.append(Skip(user_id=user, ts=ts, event_id=event_id, track_id=track_id, ms_played=4_000))

    def like(self, user: str, track_id: str, *, minutes: float | None = None) -> None:
        event_id, ts = self._next(minutes)
        self.events.append(Like(user_id=user, ts=ts, event_id=event_id, track_id=track_id))

    def run(self) -> None:
        """Append what was queued and drain the profiler (the consumer the server runs)."""
        self.platform.event_log.append(self.events)
        self.events = []
        self.platform.runner("profiler").drain()

    def profile(self, user: str) -> TasteProfile:
        data = self.platform.store.get_profile(user)
        assert data is not None, f"no profile for {user}"
        return decode(data)

    def view(self, user: str, *, now: datetime | None = None) -> dict[str, Any]:
        last = self.t0 + timedelta(minutes=self._n)
        return summary(self.profile(user), profile_params(self.platform.config), now=now or last)
