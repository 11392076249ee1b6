"""The EventLog contract: an ordered, durable, partitioned log with consumer groups.

Every backend (``sqlite://`` embedded, ``kafka://`` at scale) passes ``tests/contracts/test_event_log.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple, Protocol, runtime_checkable

import mmh3

from tastemaker.events.schema import Event


class Offset(NamedTuple):
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Record:
    partition: int
    offset: int
    event: Event


@dataclass(slots=True)
class Batch:
    records: list[Record] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    def next_offsets(self) -> dict[int, int]:
        """What to commit once this batch is handled: per partition, the offset after its last record."""
        result: dict[int, int] = {}
        for record in self.records:
            if record.offset + 1 > result.get(record.partition, -1):
                result[record.partition] = record.offset + 1
        return result


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record a consumer could not handle after its retries, set aside so its partition moves on.

    ``event`` is the record's raw JSON as it was in the log, so ``tastemaker deadletter retry`` can
    hand exactly that event to the consumer again once the bug is fixed.
    """

    group: str
    partition: int
    offset: int
    event_id: str
    event: bytes
    error: str
    traceback: str
    attempts: int
    quarantined_at_ms: int


@runtime_checkable
class DeadLetterLog(Protocol):
    """The part of an EventLog that keeps dead letters: the SQLite log in its ``dead_letter`` table,
    the Kafka log in a ``<topic>.dlq`` topic.

    Keyed by (group, partition, offset): quarantining the same record twice (a crash between the
    quarantine and the commit) keeps one letter.
    """

    def quarantine(self, letter: DeadLetter) -> None: ...

    def dead_letters(self, group: str | None = None) -> list[DeadLetter]: ...

    def dead_letter_count(self) -> dict[str, int]: ...

    def forget_dead_letter(self, group: str, partition: int, offset: int) -> bool: ...


def partition_for(user_id: str, partitions: int) -> int:
    """The partition of a user's events: murmur3_32 of the UTF-8 user id, mod the partition count.

    Stable across processes, machines and backends (Python's ``hash()`` is salted per process).
    """
    return int(mmh3.hash(user_id.encode(), 0, signed=False)) % partitions


def check_partition(partition: int, partitions: int) -> int:
    """``partition``, or a ValueError naming the partitions the log has (every backend's message)."""
    if not 0 <= partition < partitions:
        msg = f"partition {partition} does not exist; this log has partitions 0 to {partitions - 1}"
        raise ValueError(msg)
    return partition


def check_offset(offset: int) -> int:
    if offset < 0:
        msg = f"offset {offset} is negative; commit the offset of the next event to read"
        raise ValueError(msg)
    return int(offset)


@runtime_checkable
class EventLog(Protocol):
    """Ordered per partition, durable, idempotent on ``event_id``.

    - ``append`` returns only once every event is durable (survives kill -9; with the default
      settings a power loss too). An event whose ``event_id`` is already in the log is not stored
      again: its existing offset is returned, so clients may retry freely.
    - A group reads each partition in offset order. ``poll`` continues from where this handle's
      last ``poll`` ended; a fresh handle starts at the group's committed offsets (0 if none).
    - ``commit`` stores, per partition, the offset of the *next* event to read. Consumers commit
      only after their sink has flushed, so a crash in between re-delivers (at-least-once) and
      the idempotent sinks make it exactly-once downstream.
    - ``committed`` and ``end_offsets`` name every partition (0 where nothing was committed or
      written); ``lag`` is the sum of their differences.
    - ``enforce_retention`` deletes only the oldest events of each partition: offsets never change
      and are never handed out twice, and a group positioned on deleted events continues at the
      first one that remains.
    """

    partitions: int

    def append(self, events: Sequence[Event]) -> list[Offset]: ...

    def poll(self, group: str, max_events: int, *, partitions: Collection[int] | None = None) -> Batch: ...

    def commit(self, group: str, offsets: Mapping[int, int]) -> None: ...

    def rewind(self, group: str) -> None:
        """Forget this handle's read position, so the next poll re-delivers everything uncommitted.

        A consumer whose ``handle`` failed calls this, or the failed batch would be skipped.
        """

    def committed(self, group: str) -> dict[int, int]: ...

    def end_offsets(self) -> dict[int, int]: ...

    def lag(self, group: str) -> int: ...

    def groups(self) -> list[str]: ...

    def enforce_retention(self, *, max_age: timedelta | None = None, max_bytes: int | None = None) -> int: ...

    def forget_user(self, user_id: str) -> int:
        """Delete every event of ``user_id`` and return how many went (privacy/forget.py).

        Offsets never change and are never handed out again; polls step over the gaps. A backend
        that cannot delete single records (Kafka) deletes nothing, returns 0 and says so with a
        class attribute ``deletes_records = False``: the topic's retention removes them.
        """

    def close(self) -> None: ...
