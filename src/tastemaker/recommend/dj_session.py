"""Live DJ sessions: what each listener's DJ has played and heard back, in the API process's memory.

A session remembers every track it served (so nothing repeats), which of them were familiar or
discovery picks (to keep the mix), the feedback it has already applied (so a skip steers once), and
the artists a skip ruled out. Sessions are kept per user in an LRU bounded by ``max_users``; each
user keeps at most ``per_user`` sessions and a session idle for ``idle_s`` is forgotten. Losing a
session (restart, eviction) only means the next call starts a fresh one.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

FeedbackType = Literal["skip", "like"]


@dataclass(frozen=True, slots=True)
class Feedback:
    track_id: str
    type: FeedbackType


@dataclass
class Session:
    session_id: str
    user_id: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    served: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    """Served track → "familiar", "discovery" or "popular"."""
    applied: set[Feedback] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)
    liked: list[str] = field(default_factory=list)
    banned_artists: set[str] = field(default_factory=set)
    liked_before: set[str] | None = None
    """The user's liked tracks when the session began: only a like after that is feedback."""
    base: tuple[int, npt.NDArray[np.float32] | None] | None = None
    """(model version, the user's taste vector under it), computed once per model version."""
    touched: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def last_track(self) -> str | None:
        return self.served[-1] if self.served else None

    def count(self, kind: str) -> int:
        return sum(1 for k in self.kinds.values() if k == kind)


def new_session_id() -> str:
    return f"dj-{secrets.token_hex(8)}"


class Sessions:
    """Thread-safe, bounded: ``max_users`` listeners (least recently used evicted first)."""

    def __init__(self, *, max_users: int = 10_000, per_user: int = 4, idle_s: float = 3600.0) -> None:
        self.max_users = max_users
        self.per_user = per_user
        self.idle_s = idle_s
        self._users: OrderedDict[str, OrderedDict[str, Session]] = OrderedDict()
        self._lock = threading.Lock()

    def forget(self, user_id: str) -> int:
        """Drop every session of the user (``privacy/forget.py``); returns how many went."""
        with self._lock:
            return len(self._users.pop(user_id, {}))

    def get(self, user_id: str, session_id: str | None = None, *, restart: bool = False) -> Session:
        """The named session; without a name the user's latest one; a new one when asked, or when
        the named or latest session is gone or idle too long."""
        now = time.monotonic()
        with self._lock:
            sessions = self._users.pop(user_id, OrderedDict())
            self._users[user_id] = sessions  # most recently used last
            for sid in [s for s, v in sessions.items() if now - v.touched > self.idle_s]:
                del sessions[sid]
            found = None
            if not restart:
                if session_id is not None:
                    found = sessions.get(session_id)
                elif sessions:
                    found = next(reversed(sessions.values()))
            if found is None:
                found = Session(session_id=new_session_id(), user_id=user_id)
            sessions.pop(found.session_id, None)
            sessions[found.session_id] = found
            found.touched = now
            while len(sessions) > self.per_user:
                sessions.popitem(last=False)
            while len(self._users) > self.max_users:
                self._users.popitem(last=False)
            return found

    def __len__(self) -> int:
        with self._lock:
            return len(self._users)
