"""Take turns at writing between processes that share one SQLite file, without sleeping.

SQLite's own lock is polled: a process that finds it busy sleeps and tries again, so with two
processes appending (``serve --workers 2``) the waiter often sleeps past the moment the lock was
freed (measured: one of two cores idle). An exclusive ``flock`` on a side file is queued in the
kernel instead, and the waiter wakes as soon as the holder lets go. SQLite's lock still guards the
data; this only decides who goes next. Where ``flock`` does not exist it is a no-op.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux or macOS
    fcntl = None  # type: ignore[assignment]


class WriterTurn:
    def __init__(self, database: Path) -> None:
        self._fd = os.open(f"{database}.writer-lock", os.O_RDWR | os.O_CREAT, 0o644) if fcntl else -1

    def __enter__(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
