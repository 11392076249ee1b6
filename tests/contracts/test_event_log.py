"""The EventLog contract, run against every backend (``event_log``, ``open_log`` and ``new_log_url``
come from conftest.py); each test gets a fresh, empty log. Processes that crash are played by
``event_log_worker.py``. SQLite-only behaviour (URL forms, the partition count, locks, the on-disk
format) is tested at the end of this file.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tastemaker.backends import EVENT_LOGS, open_backend
from tastemaker.errors import BackendUnavailable, ConfigError, InvalidEvent
from tastemaker.events.log import EventLog, Offset, Record, partition_for
from tastemaker.events.schema import Event, Play, to_json
from tastemaker.events.sqlite_log import SQLiteEventLog

T0 = datetime(2025, 1, 1, tzinfo=UTC)
WORKER = Path(__file__).with_name("event_log_worker.py")
OpenLog = Callable[..., EventLog]


def play(event_id: str, user_id: str = "u1", *, second: int = 0, received_at: datetime | None = None) -> Play:
    return Play(
        user_id=user_id,
        ts=T0 + timedelta(seconds=second),
        track_id="t1",
        ms_played=1000,
        event_id=event_id,
        received_at=received_at,
    )


def plays(count: int, prefix: str = "e", users: int = 5) -> list[Event]:
    return [play(f"{prefix}{i}", f"u{i % users}", second=i) for i in range(count)]


def read_all(log: EventLog, group: str = "reader") -> list[Record]:
    """Every record in the log, read by a group that never commits."""
    records: list[Record] = []
    while batch := log.poll(group, 1000).records:
        records.extend(batch)
    return records


def assert_contiguous(log: EventLog, records: list[Record]) -> None:
    """Each partition holds offsets 0..end-1, every one exactly once, and no event_id twice."""
    by_partition: dict[int, list[int]] = {}
    for record in records:
        by_partition.setdefault(record.partition, []).append(record.offset)
    for partition, end in log.end_offsets().items():
        assert sorted(by_partition.get(partition, [])) == list(range(end)), f"partition {partition}"
    ids = Counter(record.event.event_id for record in records)
    assert not [event_id for event_id, n in ids.items() if n > 1]


def test_is_an_event_log(event_log: EventLog) -> None:
    assert isinstance(event_log, EventLog)
    assert event_log.partitions >= 1


# appending and partitioning
def test_append_returns_offsets_in_order_per_partition(event_log: EventLog) -> None:
    events = plays(40)
    offsets = event_log.append(events[:15]) + event_log.append(events[15:])
    seen: dict[int, int] = {}
    for event, offset in zip(events, offsets, strict=True):
        assert offset.partition == partition_for(event.user_id, event_log.partitions)
        assert offset.offset == seen.get(offset.partition, 0)
        seen[offset.partition] = offset.offset + 1
    assert event_log.end_offsets() == {p: seen.get(p, 0) for p in range(event_log.partitions)}
    assert event_log.append([]) == []


def test_same_user_same_partition_in_append_order(event_log: EventLog) -> None:
    events = [play(f"e{i}", "alice", second=i) for i in range(30)]
    offsets = [offset for i in range(0, 30, 7) for offset in event_log.append(events[i : i + 7])]
    assert {o.partition for o in offsets} == {partition_for("alice", event_log.partitions)}
    records = read_all(event_log)
    assert [r.event.event_id for r in records] == [e.event_id for e in events]
    assert [r.event for r in records] == events


@pytest.mark.parametrize(
    ("user_id", "partitions", "expected"),
    [
        ("u1", 8, 0),
        ("alice", 8, 5),
        ("bob", 8, 2),
        ("user-12345", 16, 0),
        ("ünïcødé", 8, 6),
        ("listener-42", 1024, 16),
    ],
)
def test_partition_for_is_pinned(user_id: str, partitions: int, expected: int) -> None:
    """murmur3_32 (seed 0, unsigned) of the UTF-8 id: a change would move users between partitions."""
    assert partition_for(user_id, partitions) == expected


def test_event_without_id_is_rejected(event_log: EventLog) -> None:
    with pytest.raises(InvalidEvent, match="event_id"):
        event_log.append([play("")])
    assert sum(event_log.end_offsets().values()) == 0


# idempotency
def test_duplicates_in_one_batch_are_stored_once(event_log: EventLog) -> None:
    events = [play("a"), play("b", "u2"), play("a"), play("c"), play("b", "u2")]
    offsets = event_log.append(events)
    assert offsets[0] == offsets[2] and offsets[1] == offsets[4]
    assert len(set(offsets)) == 3
    assert sorted(r.event.event_id for r in read_all(event_log)) == ["a", "b", "c"]


def test_duplicates_across_batches_and_reopen_return_the_first_offset(open_log: OpenLog) -> None:
    first = open_log()
    events = plays(20)
    offsets = first.append(events)
    assert first.append(events[5:12]) == offsets[5:12]
    end = first.end_offsets()
    first.close()
    again = open_log()
    assert again.append([*plays(3, prefix="new"), *events[::-1]])[3:] == offsets[::-1]
    assert sum(again.end_offsets().values()) == sum(end.values()) + 3
    records = read_all(again)
    assert len(records) == 23
    assert_contiguous(again, records)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(st.integers(0, 30), max_size=12), max_size=6))
def test_append_is_idempotent_on_event_id(new_log_url: Callable[[], str], batches: list[list[int]]) -> None:
    """For any batches with repeats: the log holds each distinct id once; appending again changes nothing."""
    events = [[play(f"e{n}", f"u{n % 4}", second=n) for n in batch] for batch in batches]
    with contextlib.closing(open_backend(EVENT_LOGS, new_log_url())) as log:
        first = [log.append(batch) for batch in events]
        offset_of: dict[str, Offset] = {}
        for batch, offsets in zip(events, first, strict=True):
            for event, offset in zip(batch, offsets, strict=True):
                assert offset_of.setdefault(event.event_id, offset) == offset
        end = log.end_offsets()
        assert [log.append(batch) for batch in events] == first
        assert log.end_offsets() == end
        records = read_all(log)
        assert sorted(r.event.event_id for r in records) == sorted(offset_of)
        assert {r.event.event_id: Offset(r.partition, r.offset) for r in records} == offset_of


# reading and committing
def test_poll_continues_where_the_last_poll_ended(event_log: EventLog) -> None:
    event_log.append(plays(25))
    seen: list[Record] = []
    while batch := event_log.poll("g", 4).records:
        assert len(batch) <= 4
        seen.extend(batch)
    assert len(seen) == 25
    assert_contiguous(event_log, seen)
    for partition in range(event_log.partitions):
        offsets = [r.offset for r in seen if r.partition == partition]
        assert offsets == sorted(offsets)
    assert event_log.poll("g", 0).records == []


def test_poll_only_the_partitions_asked_for(event_log: EventLog) -> None:
    offsets = event_log.append(plays(30))
    wanted = {offsets[0].partition}
    records = event_log.poll("g", 100, partitions=wanted).records
    assert records and {r.partition for r in records} == wanted
    assert len(records) == sum(1 for o in offsets if o.partition in wanted)


def test_commit_and_resume_after_reopen(open_log: OpenLog) -> None:
    first = open_log()
    events = plays(30)
    first.append(events)
    batch = first.poll("g", 12)
    assert len(batch) == 12
    first.commit("g", batch.next_offsets())
    assert first.committed("g") == {p: batch.next_offsets().get(p, 0) for p in range(first.partitions)}
    uncommitted = first.poll("g", 5)  # polled but never committed: delivered again after a restart
    first.close()
    again = open_log()
    rest = read_all(again, "g")
    assert {r.event.event_id for r in uncommitted.records} <= {r.event.event_id for r in rest}
    delivered = [r.event.event_id for r in batch.records + rest]
    assert sorted(delivered) == sorted(e.event_id for e in events)


def test_commit_never_moves_backwards(event_log: EventLog) -> None:
    event_log.append([play(f"e{i}", "alice") for i in range(10)])
    partition = partition_for("alice", event_log.partitions)
    event_log.commit("g", {partition: 7})
    event_log.commit("g", {partition: 3})
    assert event_log.committed("g")[partition] == 7
    event_log.commit("g", {partition: 9})
    assert event_log.committed("g")[partition] == 9


def test_lag_is_end_minus_committed(event_log: EventLog) -> None:
    assert event_log.lag("g") == 0
    event_log.append(plays(20))
    assert event_log.lag("g") == 20
    batch = event_log.poll("g", 8)
    assert event_log.lag("g") == 20  # polling alone commits nothing
    event_log.commit("g", batch.next_offsets())
    assert event_log.lag("g") == 12
    event_log.commit("g", event_log.end_offsets())
    assert event_log.lag("g") == 0


def test_groups_are_independent(event_log: EventLog) -> None:
    event_log.append(plays(10))
    a = event_log.poll("a", 10)
    event_log.commit("a", a.next_offsets())
    b = event_log.poll("b", 3)
    event_log.commit("b", b.next_offsets())
    assert len(a) == 10 and len(b) == 3
    assert event_log.lag("a") == 0 and event_log.lag("b") == 7
    assert len(read_all(event_log, "b")) == 7
    assert {"a", "b"} <= set(event_log.groups())


# concurrency and crashes
def test_concurrent_appends_from_eight_threads(open_log: OpenLog) -> None:
    log = open_log()
    results: dict[int, list[tuple[Event, Offset]]] = {}

    def append_batches(thread: int) -> None:
        pairs = results.setdefault(thread, [])
        for batch in range(25):
            events = [play(f"t{thread}-{batch}-{i}", f"u{i}", second=i) for i in range(16)]
            events += [play(f"shared-{batch}", "u0")]
            pairs.extend(zip(events, log.append(events), strict=True))

    threads = [threading.Thread(target=append_batches, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    offset_of: dict[str, Offset] = {}
    for pairs in results.values():
        for event, offset in pairs:
            assert offset_of.setdefault(event.event_id, offset) == offset
    log.close()
    records = read_all(open_log())
    assert len(records) == 8 * 25 * 16 + 25 == len(offset_of)
    assert {r.event.event_id: Offset(r.partition, r.offset) for r in records} == offset_of
    assert_contiguous(open_log(), records)


def worker(*args: str, stdin: bool = True) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )


def tell(process: subprocess.Popen[str], line: str = "go") -> None:
    assert process.stdin is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()


def lines(process: subprocess.Popen[str]) -> Iterator[str]:
    assert process.stdout is not None
    yield from (line.rstrip("\n") for line in process.stdout)


def test_two_processes_append_to_one_log(open_log: OpenLog, event_log_url: str) -> None:
    producers = [worker("produce", event_log_url, name, "40", "20", "3") for name in ("p", "q")]
    with producers[0], producers[1]:
        outputs = [lines(p) for p in producers]
        assert [next(out) for out in outputs] == ["ready", "ready"]
        for producer in producers:
            tell(producer)  # both start appending at once
        acked = [event_id for out in outputs for line in out for event_id in line.split()]
    assert [p.returncode for p in producers] == [0, 0]
    records = read_all(open_log())
    assert len(records) == 2 * 40 * 20 + 40 * 3
    assert {r.event.event_id for r in records} == set(acked)
    assert_contiguous(open_log(), records)


@pytest.mark.crash
def test_kill_9_during_appends_loses_no_acknowledged_event(open_log: OpenLog, event_log_url: str) -> None:
    acked: list[str] = []
    with worker("produce", event_log_url, "k", "0", "50") as producer:
        output = lines(producer)
        assert next(output) == "ready"
        tell(producer)
        for line in output:
            acked.extend(line.split())
            if len(acked) >= 30 * 50:
                producer.send_signal(signal.SIGKILL)  # mid-stream: it is appending the next batches
                break
        producer.wait()
    assert producer.returncode == -signal.SIGKILL
    log = open_log()
    records = read_all(log)
    stored = Counter(r.event.event_id for r in records)
    assert all(stored[event_id] == 1 for event_id in acked)
    assert_contiguous(log, records)
    assert log.append([play("after-crash")])[0].offset >= 0


@pytest.mark.crash
def test_kill_9_between_sink_flush_and_commit_redelivers_exactly_once(
    event_log: EventLog, event_log_url: str, tmp_path: Path
) -> None:
    events = plays(50)
    event_log.append(events)
    sink = tmp_path / "sink.db"
    with worker("consume", event_log_url, str(sink), "archiver", "pause") as consumer:
        output = lines(consumer)
        for flushed in range(3):
            assert next(output) == "flushed"
            if flushed < 2:
                tell(consumer)
        consumer.send_signal(signal.SIGKILL)  # the third batch is in the sink, its offsets uncommitted
        consumer.wait()
    assert sum(event_log.committed("archiver").values()) == 14
    with worker("consume", event_log_url, str(sink), "archiver", stdin=False) as consumer:
        assert list(lines(consumer)) == ["done"]
    assert consumer.returncode == 0
    with contextlib.closing(sqlite3.connect(sink)) as conn:
        in_sink = [event_id for (event_id,) in conn.execute("SELECT event_id FROM sink")]
        (deliveries,) = conn.execute("SELECT count(*) FROM deliveries").fetchone()
    assert sorted(in_sink) == sorted(e.event_id for e in events)
    assert deliveries == 50 + 7  # the third batch came twice, and the sink kept it once
    assert event_log.lag("archiver") == 0


# retention
def test_retention_by_age_keeps_offsets(event_log: EventLog) -> None:
    now = datetime.now(UTC)
    old = [play(f"old{i}", f"u{i % 3}", second=i, received_at=now - timedelta(days=10)) for i in range(9)]
    new = [play(f"new{i}", f"u{i % 3}", second=i, received_at=now) for i in range(6)]
    event_log.append(old)
    kept_offsets = event_log.append(new)
    event_log.commit("slow", {p: 0 for p in range(event_log.partitions)})
    end = event_log.end_offsets()
    assert event_log.enforce_retention(max_age=timedelta(days=1)) == 9
    assert event_log.enforce_retention(max_age=timedelta(days=1)) == 0
    records = read_all(event_log, "slow")  # positioned on deleted events: continues from the first kept
    kept = {e.event_id: offset for e, offset in zip(new, kept_offsets, strict=True)}
    assert {r.event.event_id: Offset(r.partition, r.offset) for r in records} == kept
    assert event_log.end_offsets() == end


def test_retention_by_size_deletes_the_oldest_and_never_reuses_offsets(event_log: EventLog) -> None:
    now = datetime.now(UTC) - timedelta(hours=1)
    events = [play(f"e{i}", f"u{i % 4}", received_at=now + timedelta(seconds=i)) for i in range(20)]
    event_log.append(events)
    sizes = [len(to_json(e)) for e in events]
    end = event_log.end_offsets()
    assert event_log.enforce_retention(max_bytes=sum(sizes[5:])) == 5
    assert sorted(r.event.event_id for r in read_all(event_log)) == sorted(e.event_id for e in events[5:])
    assert event_log.enforce_retention(max_bytes=0) == 15
    assert read_all(event_log, "after") == []
    assert event_log.end_offsets() == end
    offset = event_log.append([play("later", "u0")])[0]
    assert offset.offset == end[offset.partition]


# forgetting a user (privacy/forget.py)
def test_forget_user_deletes_their_events_and_keeps_offsets(event_log: EventLog) -> None:
    if not getattr(event_log, "deletes_records", True):
        assert event_log.forget_user("u1") == 0  # Kafka: left to the topic's retention
        return
    events = plays(30, users=3)
    offsets = dict(zip((e.event_id for e in events), event_log.append(events), strict=True))
    group_done = {p: 0 for p in range(event_log.partitions)}
    event_log.commit("caught-up", event_log.end_offsets())
    event_log.commit("behind", group_done)
    end = event_log.end_offsets()
    assert event_log.forget_user("u1") == 10
    assert event_log.forget_user("u1") == 0
    assert event_log.end_offsets() == end
    kept = {r.event.event_id: Offset(r.partition, r.offset) for r in read_all(event_log)}
    assert kept == {e.event_id: offsets[e.event_id] for e in events if e.user_id != "u1"}
    assert event_log.lag("caught-up") == 0
    behind = read_all(event_log, "behind")  # a group before the gap still gets everyone else's events
    assert sorted(r.event.event_id for r in behind) == sorted(kept)
    again = event_log.append([play("e1", "u1")])[0]  # an id of a forgotten event: stored anew
    assert again.offset == end[again.partition]


def test_close_finishes_what_was_acknowledged(open_log: OpenLog) -> None:
    log = open_log()
    acked: list[str] = []
    refused: list[BaseException] = []

    def append_until_closed(thread: int) -> None:
        for batch in range(10_000):
            events = [play(f"t{thread}-{batch}-{i}", f"u{i}") for i in range(10)]
            try:
                log.append(events)
            except BackendUnavailable as exc:
                refused.append(exc)
                return
            acked.extend(e.event_id for e in events)

    threads = [threading.Thread(target=append_until_closed, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    while len(acked) < 200:
        time.sleep(0.005)
    log.close()
    for thread in threads:
        thread.join()
    assert len(refused) == 4
    stored = {r.event.event_id for r in read_all(open_log())}
    assert set(acked) <= stored


# SQLite only: URLs, the fixed partition count, locks and the on-disk format
def test_sqlite_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with SQLiteEventLog.from_url("sqlite:///relative/dir/events.db") as log:
        assert log.partitions == 8
    assert (tmp_path / "relative" / "dir" / "events.db").is_file()
    url = f"sqlite:///{tmp_path}/absolute/events.db?partitions=3&synchronous=normal"
    with open_backend(EVENT_LOGS, url) as log:
        assert log.partitions == 3
    assert (tmp_path / "absolute" / "events.db").is_file()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///x.db?partitions=0", "at least 1 partition"),
        ("sqlite:///x.db?partitions=eight", "not a whole number"),
        ("sqlite:///x.db?synchronous=OFF", "expected one of NORMAL, FULL, EXTRA"),
        ("sqlite:///x.db?fsync=1", "unknown parameter 'fsync'"),
        ("sqlite://host/x.db", "sqlite:////absolute"),
        ("sqlite:///:memory:", "sqlite:///relative"),
    ],
)
def test_sqlite_bad_urls_say_what_to_fix(url: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        SQLiteEventLog.from_url(url)
    assert not list(tmp_path.iterdir())


def test_sqlite_partition_count_is_fixed_at_creation(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    with SQLiteEventLog.from_url(f"{url}?partitions=4") as log:
        log.append(plays(10))
    with SQLiteEventLog.from_url(url) as log:
        assert log.partitions == 4
        assert len(read_all(log)) == 10
    with pytest.raises(ConfigError, match="created with 4 partitions, but 8 were asked for"):
        SQLiteEventLog.from_url(f"{url}?partitions=8")


def test_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    with SQLiteEventLog(tmp_path / "events.db") as log:
        log.append(plays(3))
    with contextlib.closing(sqlite3.connect(tmp_path / "events.db")) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sqlite_held_lock_is_backend_unavailable_and_recoverable(tmp_path: Path) -> None:
    with SQLiteEventLog(tmp_path / "events.db", busy_timeout_ms=50) as log:
        with contextlib.closing(sqlite3.connect(tmp_path / "events.db", isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(BackendUnavailable, match="held the write lock for more than 50 ms"):
                log.append(plays(3))
            assert len(log.poll("g", 10)) == 0  # readers are not blocked by a writer
            other.execute("ROLLBACK")
        assert len(log.append(plays(3))) == 3


def test_sqlite_unusable_folder_is_backend_unavailable(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(BackendUnavailable, match="could not open"):
        SQLiteEventLog(tmp_path / "a-file" / "events.db")


def test_sqlite_newer_format_is_refused(tmp_path: Path) -> None:
    SQLiteEventLog(tmp_path / "events.db").close()
    with contextlib.closing(sqlite3.connect(tmp_path / "events.db")) as conn, conn:
        conn.execute("UPDATE log_meta SET value = '99' WHERE key = 'format_version'")
    with pytest.raises(BackendUnavailable, match="format 99, newer than this Tastemaker"):
        SQLiteEventLog(tmp_path / "events.db")


def test_sqlite_naive_timestamps_are_rejected(tmp_path: Path) -> None:
    with SQLiteEventLog(tmp_path / "events.db") as log:
        naive = Play(user_id="u1", ts=datetime(2025, 1, 1), track_id="t1", event_id="e1")
        with pytest.raises(InvalidEvent, match="no timezone"):
            log.append([naive])


def test_sqlite_closed_log_says_so(tmp_path: Path) -> None:
    log = SQLiteEventLog(tmp_path / "events.db")
    log.append(plays(2))
    log.poll("g", 1)
    log.close()
    log.close()
    for call in (lambda: log.append(plays(1)), lambda: log.poll("g", 1), log.end_offsets):
        with pytest.raises(BackendUnavailable, match="is closed"):
            call()


def test_rewind_redelivers_everything_uncommitted(event_log: EventLog) -> None:
    event_log.append([_rewind_event(i) for i in range(10)])
    first = event_log.poll("g", 4)
    event_log.commit("g", first.next_offsets())
    second = event_log.poll("g", 100)
    assert len(second) == 6
    event_log.rewind("g")
    again = event_log.poll("g", 100)
    assert [r.event.event_id for r in again.records] == [r.event.event_id for r in second.records]


def _rewind_event(i: int) -> Play:
    return Play(user_id="rewind-user", ts=datetime(2025, 1, 1, tzinfo=UTC), event_id=f"rw-{i}", track_id="t")


def test_commits_and_appends_from_many_threads_never_fail(event_log: EventLog) -> None:
    """Regression: a Cursor returned from the writer to a committing thread was freed there, resetting
    a statement the writer was running (SQLITE_MISUSE under load)."""
    errors: list[BaseException] = []
    done = threading.Event()
    base = datetime(2025, 1, 1, tzinfo=UTC)

    def append(worker: int) -> None:
        for i in range(1000):
            event = Play(user_id=f"mt-{i % 20}", ts=base + timedelta(seconds=i), event_id=f"mt-{worker}-{i}",
                         track_id="t")  # fmt: skip
            try:
                event_log.append([event])
            except BaseException as exc:
                errors.append(exc)

    def consume(group: str) -> None:
        while not done.is_set():
            try:
                batch = event_log.poll(group, 200)
                if batch.records:
                    event_log.commit(group, batch.next_offsets())
                event_log.lag(group)
            except BaseException as exc:
                errors.append(exc)

    writers = [threading.Thread(target=append, args=(n,)) for n in range(12)]
    readers = [threading.Thread(target=consume, args=(f"mt-group-{n}",)) for n in range(3)]
    for thread in writers + readers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    assert errors == []
    assert sum(event_log.end_offsets().values()) >= 12 * 1000
