"""The embedded EventLog: one SQLite file in WAL mode that every process on the machine shares.

Why it is shaped this way:

- **Group commit.** One writer thread per handle drains a queue of pending appends and writes them
  all in one ``BEGIN IMMEDIATE`` transaction, then wakes each caller. A hundred API threads cost one
  commit (one fsync with ``synchronous=FULL``), not a hundred, and none of them waits on a busy lock.
- **Offsets under the lock.** Offsets are assigned inside that transaction from
  ``log_partitions.next_offset``. The write lock makes two processes appending to one file take
  turns, so offsets stay contiguous. The next offset is stored rather than derived from
  ``max(offset)`` so that retention, which deletes the oldest part of a partition, can never make an
  offset be handed out twice.
- **Readers apart.** Each reading thread gets its own connection; WAL lets it read a committed
  snapshot while the writer writes, so consumers never wait for ingestion.
"""

from __future__ import annotations

import itertools
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import mmh3
import msgspec

from tastemaker.errors import BackendUnavailable, ConfigError, InvalidEvent
from tastemaker.events import sqlite_log_schema as layout
from tastemaker.events.log import Batch, Offset, Record, check_offset, check_partition, partition_for
from tastemaker.events.schema import Event, to_json
from tastemaker.events.writer_turn import WriterTurn

BUSY_TIMEOUT_MS = 30_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


class _Append:
    """Rows waiting for the writer; ``future`` gets their offsets once they are committed."""

    __slots__ = ("future", "rows")

    def __init__(self, rows: list[layout.Row]) -> None:
        self.rows = rows
        self.future: Future[list[Offset]] = Future()


class _Task:
    """Any other write (a commit, retention), run by the writer in its next transaction."""

    __slots__ = ("future", "run")

    def __init__(self, run: Callable[[sqlite3.Connection], Any]) -> None:
        self.run = run
        self.future: Future[Any] = Future()


_Job = _Append | _Task


_decode_rows = msgspec.json.Decoder(list[tuple[int, Event]]).decode


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        msg = f"{moment.isoformat()!r} has no timezone; events carry UTC times (see events/validate.py)"
        raise InvalidEvent(msg, loc=("ts",), type="missing_timezone")
    return (moment - _EPOCH) // _ONE_MS


def _row(event: Event, partitions: int, now_ms: int) -> layout.Row:
    if not event.event_id:
        msg = "event_id is empty; run events through events.validate.parse_event before appending"
        raise InvalidEvent(msg, loc=("event_id",), type="missing")
    payload = to_json(event)
    received = now_ms if event.received_at is None else _to_ms(event.received_at)
    event_id, user_id = event.event_id, event.user_id
    return (
        partition_for(user_id, partitions),
        mmh3.hash64(event_id.encode())[0],
        event_id,
        user_id,
        _to_ms(event.ts),
        received,
        len(payload),
        msgspec.Raw(payload),
    )


def _parse_url(url: str) -> tuple[Path, dict[str, Any]]:
    """``sqlite:///relative.db`` or ``sqlite:////absolute.db``, with ``?partitions=&synchronous=``."""
    parts = urlsplit(url)
    path = unquote(parts.path[1:])
    if parts.scheme != "sqlite" or parts.netloc or not path or path == ":memory:":
        msg = f"{url!r}: expected sqlite:///relative/events.db or sqlite:////absolute/events.db"
        raise ConfigError(msg)
    options: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "synchronous":
            options[key] = value
        elif key in ("partitions", "busy_timeout_ms"):
            try:
                options[key] = int(value)
            except ValueError:
                msg = f"{url!r}: {key} = {value!r} is not a whole number"
                raise ConfigError(msg) from None
        else:
            msg = f"{url!r}: unknown parameter {key!r}; known: partitions, synchronous, busy_timeout_ms"
            raise ConfigError(msg)
    return Path(path), options


class SQLiteEventLog:
    """An EventLog in one SQLite file; see the module docstring for why it is built this way.

    Safe to share between threads. Several processes may open the same file: appends from all of
    them interleave with contiguous offsets. Polls of one group through one handle are serialized;
    each process keeps its own read positions, as a Kafka consumer does.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        partitions: int | None = None,
        synchronous: str = "FULL",
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        self._path = Path(path)
        self._synchronous = synchronous.upper()
        if self._synchronous not in layout.SYNCHRONOUS_MODES:
            msg = f"synchronous = {synchronous!r}: expected one of {', '.join(layout.SYNCHRONOUS_MODES)}"
            raise ConfigError(msg)
        if partitions is not None and partitions < 1:
            msg = f"partitions = {partitions}: a log needs at least 1 partition"
            raise ConfigError(msg)
        self._busy_timeout_ms = busy_timeout_ms
        with self._errors("open"):
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._turn = WriterTurn(self._path)
        try:
            # Opening switches the file to WAL and may create the tables; processes that open a new log
            # at the same moment take turns, or one of them fails at once with "database is locked".
            with self._turn, self._errors("open"):
                self._conn = layout.connect(
                    self._path, busy_timeout_ms=busy_timeout_ms, synchronous=self._synchronous
                )
                try:
                    self.partitions = layout.create_or_check(
                        self._conn, self._path, partitions, timeout_ms=busy_timeout_ms
                    )
                except BaseException:
                    self._conn.close()
                    raise
        except BaseException:
            self._turn.close()
            raise
        self._lock = threading.Lock()
        self._closed = False
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._positions: dict[str, dict[int, int]] = {}
        self._group_locks: dict[str, threading.Lock] = {}
        self._turns = itertools.count()
        self._writer = threading.Thread(target=self._write_loop, name=f"event-log-writer {path}", daemon=True)
        self._writer.start()

    @classmethod
    def from_url(cls, url: str) -> SQLiteEventLog:
        path, options = _parse_url(url)
        return cls(path, **options)

    # -- writing -------------------------------------------------------------------------------

    def append(self, events: Sequence[Event]) -> list[Offset]:
        """Durable (committed) when it returns; an event_id already in the log keeps its offset."""
        if not events:
            return []
        now_ms = _now_ms()
        partitions = self.partitions
        job = _Append([_row(event, partitions, now_ms) for event in events])
        self._submit(job)
        return job.future.result()

    def commit(self, group: str, offsets: Mapping[int, int]) -> None:
        """Store next-offsets durably; an offset below the stored one is ignored (never backwards)."""
        rows = [(group, check_partition(p, self.partitions), check_offset(o)) for p, o in offsets.items()]
        if rows:
            # Return nothing from the writer: a Cursor handed to this thread would be freed here,
            # resetting a cached statement the writer may be running (SQLITE_MISUSE, seen under load).
            job = _Task(lambda conn: layout.store_commits(conn, rows))
            self._submit(job)
            job.future.result()
        with self._lock:
            position = self._positions.get(group)
        if position is not None:
            with self._group_lock(group):
                for _group, partition, offset in rows:
                    position[partition] = max(position[partition], offset)

    def enforce_retention(self, *, max_age: timedelta | None = None, max_bytes: int | None = None) -> int:
        """Delete the oldest events (by ``received_at``) beyond either bound; return how many went.

        Only a prefix of each partition is deleted, so the offsets of what stays never change, and a
        group positioned on deleted events simply continues from the first event that remains.
        """
        if max_age is not None and max_age <= timedelta(0):
            msg = f"max_age = {max_age}: must be positive (None keeps events of any age)"
            raise ValueError(msg)
        if max_bytes is not None and max_bytes < 0:
            msg = f"max_bytes = {max_bytes}: must be 0 or more (None keeps any size)"
            raise ValueError(msg)
        cutoff_ms = None if max_age is None else _now_ms() - max_age // _ONE_MS
        job = _Task(lambda conn: layout.retain(conn, cutoff_ms=cutoff_ms, max_bytes=max_bytes))
        self._submit(job)
        return int(job.future.result())

    def _submit(self, job: _Job) -> None:
        with self._lock:
            if self._closed:
                raise self._closed_error()
            self._queue.put(job)

    def _write_loop(self) -> None:
        """The writer thread: take everything pending, write it in one transaction, repeat."""
        while True:
            jobs = [self._queue.get()]
            while not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            live = [job for job in jobs if job is not None]
            if live:
                self._write_group(live)
            if len(live) < len(jobs):
                return

    def _write_group(self, jobs: list[_Job]) -> None:
        try:
            results = self._transaction(jobs)
        except BaseException as exc:
            for job in jobs:
                error = self._unavailable("write", exc) if isinstance(exc, sqlite3.Error) else exc
                job.future.set_exception(error)
            return
        for job, result in zip(jobs, results, strict=True):
            job.future.set_result(result)

    def _transaction(self, jobs: list[_Job]) -> list[Any]:
        with self._turn:
            return self._transaction_in_turn(jobs)

    def _transaction_in_turn(self, jobs: list[_Job]) -> list[Any]:
        conn = self._conn
        layout.begin_immediate(conn, timeout_ms=self._busy_timeout_ms)
        try:
            appends = [job for job in jobs if isinstance(job, _Append)]
            offsets = iter(
                layout.insert(conn, [row for job in appends for row in job.rows]) if appends else []
            )
            results = [
                list(itertools.islice(offsets, len(job.rows))) if isinstance(job, _Append) else job.run(conn)
                for job in jobs
            ]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return results

    # -- reading -------------------------------------------------------------------------------

    def poll(self, group: str, max_events: int, *, partitions: Collection[int] | None = None) -> Batch:
        """Up to ``max_events`` records after this handle's position, taking partitions in turn."""
        chosen = (
            sorted({check_partition(p, self.partitions) for p in partitions})
            if partitions is not None
            else None
        )
        order = chosen if chosen is not None else list(range(self.partitions))
        if max_events < 1 or not order:
            return Batch()
        turn = next(self._turns) % len(order)
        order = order[turn:] + order[:turn]  # no partition waits behind another's backlog for long
        records: list[Record] = []
        with self._group_lock(group), self._errors("poll"):
            position = self._position(group)
            conn = self._reader()
            for partition in order:
                wanted = max_events - len(records)
                if wanted <= 0:
                    break
                (document,) = conn.execute(layout.POLL, (partition, position[partition], wanted)).fetchone()
                rows = _decode_rows(document)
                if rows:
                    records.extend([Record(partition, offset, event) for offset, event in rows])
                    position[partition] = rows[-1][0] + 1
        return Batch(records)

    def rewind(self, group: str) -> None:
        """Forget this handle's read position: the next poll starts again at the committed offsets."""
        with self._group_lock(group), self._lock:
            self._positions.pop(group, None)

    def committed(self, group: str) -> dict[int, int]:
        """Every partition's committed next offset, 0 where the group never committed."""
        with self._errors("read committed offsets"):
            rows = self._reader().execute(
                "SELECT partition, next_offset FROM consumer_offsets WHERE group_name = ?", (group,)
            )
            stored = dict(rows.fetchall())
        return {p: stored.get(p, 0) for p in range(self.partitions)}

    def end_offsets(self) -> dict[int, int]:
        """Every partition's next offset to be written (0 for an empty partition)."""
        with self._errors("read end offsets"):
            return dict(self._reader().execute(layout.ENDS).fetchall())

    def lag(self, group: str) -> int:
        end, done = self.end_offsets(), self.committed(group)
        return sum(max(0, end[p] - done.get(p, 0)) for p in end)

    def groups(self) -> list[str]:
        """Groups with committed offsets, and groups this handle has polled for."""
        with self._errors("read consumer groups"):
            rows = self._reader().execute("SELECT DISTINCT group_name FROM consumer_offsets").fetchall()
        with self._lock:
            polled = set(self._positions)
        return sorted({name for (name,) in rows} | polled)

    def _position(self, group: str) -> dict[int, int]:
        """The live position of ``group`` (caller holds the group lock), loaded on first use."""
        position = self._positions.get(group)
        if position is None:
            position = self.committed(group)
            with self._lock:
                self._positions[group] = position
        return position

    def _group_lock(self, group: str) -> threading.Lock:
        with self._lock:
            return self._group_locks.setdefault(group, threading.Lock())

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection (WAL readers never wait for the writer)."""
        if self._closed:
            raise self._closed_error()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        conn = layout.connect(self._path, busy_timeout_ms=self._busy_timeout_ms, synchronous=None)
        with self._lock:
            if self._closed:
                conn.close()
                raise self._closed_error()
            self._readers.append(conn)
        self._local.conn = conn
        return conn

    # -- errors and lifetime -------------------------------------------------------------------

    def _unavailable(self, action: str, exc: BaseException) -> BackendUnavailable:
        hint = "check that its folder is writable and the disk is not full"
        if "locked" in str(exc) or "busy" in str(exc):
            hint = f"another process held the write lock for more than {self._busy_timeout_ms} ms"
        error = BackendUnavailable(f"event log {self._path}: could not {action}: {exc} ({hint})")
        error.__cause__ = exc
        return error

    def _closed_error(self) -> BackendUnavailable:
        return BackendUnavailable(f"event log {self._path} is closed; open it again to use it")

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise self._unavailable(action, exc) from exc

    def close(self) -> None:
        """Finish the appends already queued, stop the writer, close every connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._writer.join()
        self._conn.close()
        self._turn.close()
        with self._lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()

    def __enter__(self) -> SQLiteEventLog:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
