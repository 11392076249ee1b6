"""A separate process for the EventLog contract suite: a producer or a consumer, killed at will.

python event_log_worker.py produce URL PREFIX BATCHES BATCH_SIZE [SHARED]
    Appends BATCHES batches (0: until killed) and prints each batch's event ids once ``append``
    has returned: those are the acknowledged events. With SHARED > 0 each batch also holds SHARED
    ids that every producer sends. Waits for a line on stdin after printing "ready".
python event_log_worker.py consume URL SINK GROUP [pause]
    Polls, writes each batch to the SQLite file SINK idempotently, then commits; prints "done" when
    caught up. With "pause" it prints "flushed" after each sink commit and waits for a line on
    stdin before committing offsets, so the test can kill it between the two.
"""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta

from tastemaker.backends import EVENT_LOGS, open_backend
from tastemaker.events.log import Batch, EventLog
from tastemaker.events.schema import Event, Play

T0 = datetime(2025, 1, 1, tzinfo=UTC)
CONSUMER_BATCH = 7


def play(event_id: str, number: int) -> Play:
    return Play(user_id=f"u{number % 5}", ts=T0 + timedelta(seconds=number), track_id="t1", event_id=event_id)


def produce(log: EventLog, prefix: str, batches: int, size: int, shared: int) -> None:
    print("ready", flush=True)
    sys.stdin.readline()
    batch = 0
    while batches == 0 or batch < batches:
        events: list[Event] = [play(f"{prefix}-{batch}-{i}", i) for i in range(size)]
        events += [play(f"shared-{batch}-{i}", i) for i in range(shared)]
        log.append(events)
        print(" ".join(e.event_id for e in events), flush=True)
        batch += 1


def flush_sink(sink: sqlite3.Connection, batch: Batch) -> None:
    """The sink: idempotent on event_id; ``deliveries`` records every delivery to show re-delivery."""
    ids = [(record.event.event_id,) for record in batch.records]
    with sink:
        sink.executemany("INSERT OR IGNORE INTO sink (event_id) VALUES (?)", ids)
        sink.executemany("INSERT INTO deliveries (event_id) VALUES (?)", ids)


def consume(log: EventLog, sink_path: str, group: str, pause: bool) -> None:
    with closing(sqlite3.connect(sink_path)) as sink:
        sink.execute("CREATE TABLE IF NOT EXISTS sink (event_id TEXT PRIMARY KEY)")
        sink.execute("CREATE TABLE IF NOT EXISTS deliveries (event_id TEXT NOT NULL)")
        while (batch := log.poll(group, CONSUMER_BATCH)).records:
            flush_sink(sink, batch)
            if pause:
                print("flushed", flush=True)
                sys.stdin.readline()
            log.commit(group, batch.next_offsets())
    print("done", flush=True)


def main(argv: list[str]) -> None:
    mode, url = argv[0], argv[1]
    with closing(open_backend(EVENT_LOGS, url)) as log:
        if mode == "produce":
            shared = int(argv[5]) if len(argv) > 5 else 0
            produce(log, argv[2], int(argv[3]), int(argv[4]), shared)
        else:
            consume(log, argv[2], argv[3], pause=argv[4:] == ["pause"])


if __name__ == "__main__":
    main(sys.argv[1:])
