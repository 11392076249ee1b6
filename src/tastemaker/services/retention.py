"""Log retention: a background loop that trims the event log to the configured age and size.

Retention only runs when a bound is set (``log_retention_hours`` / ``log_retention_bytes``); with the
defaults the log keeps everything, which is what the batch jobs that replay history expect.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from tastemaker.events.log import EventLog

log = logging.getLogger(__name__)


class RetentionLoop:
    name = "retention"

    def __init__(
        self,
        event_log: EventLog,
        *,
        max_age: timedelta | None,
        max_bytes: int | None,
        interval_s: float = 60.0,
    ) -> None:
        self.event_log = event_log
        self.max_age = max_age
        self.max_bytes = max_bytes
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.deleted = 0

    @property
    def enabled(self) -> bool:
        return self.max_age is not None or self.max_bytes is not None

    def run_once(self) -> int:
        deleted = self.event_log.enforce_retention(max_age=self.max_age, max_bytes=self.max_bytes)
        self.deleted += deleted
        if deleted:
            log.info("retention deleted %d events from the log", deleted)
        return deleted

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_once()
            except Exception:
                log.exception("log retention failed; will retry")

    def start(self) -> None:
        if self.enabled:
            self._thread = threading.Thread(target=self._loop, name="log-retention", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
