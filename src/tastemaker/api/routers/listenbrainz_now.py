"""What each user is playing now: not a listen, so it stays in this process's memory, never in the log.

An entry expires after the track's duration (when the client sent one) or ``DEFAULT_TTL_S``, as
ListenBrainz does: a player that stops without a final listen leaves no stale "playing now".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

DEFAULT_TTL_S = 480.0
MAX_TTL_S = 3600.0


class PlayingNow:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}

    def put(self, user: str, track_metadata: dict[str, Any], duration_ms: Any) -> None:
        ttl = DEFAULT_TTL_S
        if isinstance(duration_ms, int | float) and not isinstance(duration_ms, bool) and duration_ms > 0:
            ttl = min(duration_ms / 1000, MAX_TTL_S)
        with self._lock:
            self._entries[user] = (self._clock() + ttl, track_metadata)

    def get(self, user: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(user)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[user]
                return None
            return entry[1]
