"""Drive consumers: poll → handle (sink flush) → commit, in a loop, until asked to stop.

In embedded mode ``tastemaker serve`` runs every consumer as a thread of the server process; at scale
``tastemaker worker NAME`` runs one per process. Either way the loop is this one.

A record the consumer cannot handle (a poison event: the handler raises on it, every time) must not
stop its partition forever. When a batch fails, it is retried in halves down to the single record to
find the poison one; a record that still fails after ``max_retries`` tries is quarantined as a dead
letter in the log (with the error, a traceback summary, its partition and offset and the raw event)
and the consumer moves on.
A backend that is down (``BackendUnavailable``, ``OSError``) is not the event's fault: that batch is
retried, never dead-lettered, so an outage cannot quarantine a whole partition.

Stopping is graceful: the stop flag is only checked between batches, so the batch in hand is handled
(its sink flushed) and committed before the loop ends; nothing is cut in half, nothing is redelivered.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Collection, Sequence

from tastemaker.errors import BackendUnavailable
from tastemaker.events.log import DeadLetter, DeadLetterLog, EventLog, Record
from tastemaker.events.schema import to_json
from tastemaker.services.consumer import Consumer

log = logging.getLogger(__name__)

TRANSIENT = (BackendUnavailable, OSError)
"""Errors of a backend, not of the event: retried forever, never dead-lettered."""


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
        max_retries: int = 3,
        retry_backoff_s: float = 0.05,
    ) -> None:
        """``partitions``: only these partitions of the log (one member of a consumer split across
        processes; every partition's events stay in order, so each user still has a single writer).

        ``max_retries``: tries of a failing record on its own before it is dead-lettered; 0 never
        dead-letters (the partition waits until the handler is fixed, as a log without a dead-letter
        table does)."""
        self.event_log = event_log
        self.partitions = sorted(partitions) if partitions is not None else None
        self.consumer = consumer
        self.batch_size = batch_size
        self.idle_s = idle_s
        self.on_batch = on_batch
        self.max_retries = max_retries
        self.retry_backoff_s = retry_backoff_s
        self.dead_letters = event_log if isinstance(event_log, DeadLetterLog) else None
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
            try:
                self.consumer.handle(batch.records)
            except TRANSIENT:
                raise
            except Exception:
                if self.dead_letters is None or self.max_retries < 1:
                    raise
                self._isolate(batch.records, self.dead_letters)
        except BaseException:
            self.event_log.rewind(self.name)  # deliver this batch again on the next try
            raise
        self.event_log.commit(self.name, batch.next_offsets())
        if self.on_batch is not None:
            self.on_batch(self.name, len(batch.records))
        return len(batch.records)

    def _isolate(self, records: Sequence[Record], dead_letters: DeadLetterLog) -> None:
        """Handle a failed batch in halves, down to the single records that keep failing, and
        quarantine those: the granularity of record-by-record retries, at the cost of about
        2·log2(n) calls per poison record instead of n (an archiver batch of 20,000 events retried one
        by one would write 20,000 Parquet runs).

        Records before the poison one may have been written by the failed batch already: the
        consumer's sinks are idempotent, so handling them again changes nothing."""
        if len(records) == 1:
            self._retry_one(records[0], dead_letters)
            return
        middle = len(records) // 2
        for half in (records[:middle], records[middle:]):
            try:
                self.consumer.handle(half)
            except TRANSIENT:
                raise
            except Exception:
                self._isolate(half, dead_letters)

    def _retry_one(self, record: Record, dead_letters: DeadLetterLog) -> None:
        for attempt in range(1, self.max_retries + 1):
            try:
                self.consumer.handle([record])
                return
            except TRANSIENT:
                raise
            except Exception as exc:
                if attempt == self.max_retries:
                    dead_letters.quarantine(self._letter(record, exc, attempt))
                else:  # a stop request cuts the wait short; the record is still decided
                    self._stop.wait(self.retry_backoff_s * 2 ** (attempt - 1))

    def _letter(self, record: Record, exc: Exception, attempts: int) -> DeadLetter:
        summary = traceback.format_exception(exc, limit=-8)
        letter = DeadLetter(
            group=self.name,
            partition=record.partition,
            offset=record.offset,
            event_id=record.event.event_id,
            event=to_json(record.event),
            error=f"{type(exc).__name__}: {exc}",
            traceback="".join(summary)[-8000:],
            attempts=attempts,
            quarantined_at_ms=time.time_ns() // 1_000_000,
        )
        log.error(
            "consumer %s: event %s (partition %d, offset %d) failed %d times and was dead-lettered: %s",
            self.name,
            record.event.event_id,
            record.partition,
            record.offset,
            attempts,
            letter.error,
        )
        return letter

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
