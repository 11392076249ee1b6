"""Drive consumers: poll → handle (sink flush) → commit, in a loop, until asked to stop.

In embedded mode ``tastemaker serve`` runs every consumer as a thread of the server process; at scale
``tastemaker worker NAME`` runs one per process. Either way the loop is this one.

Stopping is graceful: the stop flag is only checked between batches, so the batch in hand is handled
(its sink flushed) and committed before the loop ends; nothing is cut in half, nothing is redelivered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection

from tastemaker.events.log import EventLog
from tastemaker.services.consumer import Consumer

log = logging.getLogger(__name__)


class ConsumerRunner:
    def __init__(
        self,
        event_log: EventLog,
        consumer: Consumer,
        *,
        batch_size: int = 5000,
        idle_s: float = 0.005,
        on_batch: Callable[[str, int], None] | None = None,
        partitions: Collection[int] | None = None,
    ) -> None:
        """``partitions``: only these partitions of the log (one member of a consumer split across
        processes; every partition's events stay in order, so each user still has a single writer)."""
        self.event_log = event_log
        self.partitions = sorted(partitions) if partitions is not None else None
        self.consumer = consumer
        self.batch_size = batch_size
        self.idle_s = idle_s
        self.on_batch = on_batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def name(self) -> str:
        return self.consumer.name

    def run_once(self) -> int:
        """Handle one batch; returns how many records it held (0 when caught up)."""
        batch = self.event_log.poll(self.name, self.batch_size, partitions=self.partitions)
        if not batch.records:
            return 0
        try:
            self.consumer.handle(batch.records)
        except BaseException:
            self.event_log.rewind(self.name)  # deliver this batch again on the next try
            raise
        self.event_log.commit(self.name, batch.next_offsets())
        if self.on_batch is not None:
            self.on_batch(self.name, len(batch.records))
        return len(batch.records)

    def drain(self) -> int:
        """Handle batches until the group has caught up with the log, or until asked to stop (between
        batches, so `worker --once` obeys SIGTERM too); returns records handled."""
        total = 0
        while not self._stop.is_set() and (handled := self.run_once()):
            total += handled
        return total

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.run_once()
            except Exception as exc:  # keep serving; report and back off
                self.error = exc
                log.exception("consumer %s failed; retrying in 1 s", self.name)
                self._stop.wait(1.0)
                continue
            self.error = None
            if not handled:
                self._stop.wait(self.idle_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name=f"consumer-{self.name}", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """Whether the loop thread runs: what a worker's liveness heartbeat vouches for."""
        return self._thread is not None and self._thread.is_alive()

    def request_stop(self) -> None:
        """Ask the loop to end after the batch in hand; safe from a signal handler (it never blocks)."""
        self._stop.set()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop after the batch in hand; False when that batch was still running after ``timeout_s``."""
        self.request_stop()
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def wait_caught_up(self, timeout_s: float = 60.0) -> bool:
        """Block until the group's lag is 0 (for tests, the demo loader and graceful shutdown)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.event_log.lag(self.name) == 0:
                return True
            time.sleep(0.01)
        return False
