"""The Consumer contract: a named sink fed batches of log records.

Commit order (bytewax/quix): the runner calls ``handle``, which must have flushed its sink durably
when it returns, and only then commits the offsets. A crash in between re-delivers the batch, so
``handle`` must be idempotent on ``event_id`` (or on the record's partition offset).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tastemaker.events.log import Record


class Consumer(Protocol):
    name: str
    """Stable name: the consumer group in the log, and the label in logs and metrics."""

    def handle(self, records: Sequence[Record]) -> None: ...
