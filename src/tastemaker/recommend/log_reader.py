"""Read the whole event log from the start, for batch jobs, without disturbing any consumer group.

A batch job such as ``tastemaker train`` wants every event that is in the log now, partition by
partition in offset order, in bounded memory. The EventLog contract gives exactly that through a
consumer group that never commits: a fresh group starts at offset 0 (or at the first event retention
kept), and since nothing is committed no other group's position moves and the next run starts from
the beginning again. The group name is unique per read, so two reads in one process never share a
position, and the handle forgets it afterwards (``rewind``).
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator

from tqdm import tqdm

from tastemaker.events.log import EventLog
from tastemaker.events.schema import Event

BATCH_EVENTS = 20_000
_reads = itertools.count()


def read_log(
    event_log: EventLog, *, batch_events: int = BATCH_EVENTS, progress: bool = False
) -> Iterator[list[Event]]:
    """Every event in the log when the read starts, in batches of at most ``batch_events``.

    Events appended while reading are left for the next run (the read stops at the end offsets it
    saw first), so a busy log cannot keep a batch job going forever. Each partition comes in offset
    order, which for one user is the order the events were appended.
    """
    group = f"recommend.read-log.{os.getpid()}.{next(_reads)}"
    ends = event_log.end_offsets()
    position = event_log.committed(group)  # 0 everywhere: this group never commits
    open_partitions = {p for p, end in ends.items() if position.get(p, 0) < end}
    total = sum(max(0, end - position.get(p, 0)) for p, end in ends.items())
    bar = tqdm(total=total, unit=" events", unit_scale=True, file=sys.stderr, disable=not progress)
    event_log.rewind(group)
    try:
        while open_partitions:
            batch = event_log.poll(group, batch_events, partitions=open_partitions)
            if not batch:  # retention removed the rest, or the log shrank under us
                break
            events = [r.event for r in batch.records if r.offset < ends[r.partition]]
            for partition, next_offset in batch.next_offsets().items():
                if next_offset >= ends[partition]:
                    open_partitions.discard(partition)
            bar.update(len(batch))
            if events:
                yield events
    finally:
        bar.close()
        event_log.rewind(group)
