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

import errno
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
from tastemaker.events.log import (
    Batch,
    DeadLetter,
    Offset,
    Record,
    check_offset,
    check_partition,
    partition_for,
)
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

_DEAD_LETTER_TABLE = """CREATE TABLE IF NOT EXISTS dead_letter (
    group_name TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, event_id TEXT NOT NULL,
    event BLOB NOT NULL, error TEXT NOT NULL, traceback TEXT NOT NULL, attempts INTEGER NOT NULL,
    quarantined_at_ms INTEGER NOT NULL, PRIMARY KEY (group_name, partition, offset)
) WITHOUT ROWID"""


_NO_SPACE = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def _sqlite_code(exc: BaseException) -> int | None:
    """SQLite's primary result code of ``exc`` (None for errors that are not SQLite's)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def _corrupt(exc: BaseException) -> bool:
    """Whether SQLite found the file damaged (SQLITE_CORRUPT) or not a database at all (SQLITE_NOTADB)."""
    code = _sqlite_code(exc)
    if code is not None:
        return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    return "malformed" in str(exc) or "not a database" in str(exc)


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


def _forget(conn: sqlite3.Connection, partition: int, user_id: str) -> int:
    """The writer's half of ``forget_user``: delete, fix the byte count, move stranded groups on."""
    conn.execute("PRAGMA secure_delete = ON")
    try:
        count, size = conn.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM events WHERE partition = ? AND user_id = ?",
            (partition, user_id),
        ).fetchone()
        has_letters = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dead_letter'"
        ).fetchone()
        if has_letters:  # a quarantined record keeps the raw event: it goes too
            conn.execute(
                "DELETE FROM dead_letter WHERE partition = ? "
                "AND json_extract(CAST(event AS TEXT), '$.user_id') = ?",
                (partition, user_id),
            )
        if not count:
            return 0
        conn.execute("DELETE FROM events WHERE partition = ? AND user_id = ?", (partition, user_id))
        conn.execute("UPDATE log_partitions SET bytes = bytes - ? WHERE partition = ?", (size, partition))
        (end,) = conn.execute(
            "SELECT next_offset FROM log_partitions WHERE partition = ?", (partition,)
        ).fetchone()
        groups = conn.execute(
            "SELECT group_name, next_offset FROM consumer_offsets WHERE partition = ?", (partition,)
        ).fetchall()
        for group, committed in groups:
            row = conn.execute(
                "SELECT offset FROM events WHERE partition = ? AND offset >= ? ORDER BY offset LIMIT 1",
                (partition, committed),
            ).fetchone()
            layout.store_commits(conn, [(group, partition, end if row is None else row[0])])
        return int(count)
    finally:
        conn.execute("PRAGMA secure_delete = OFF")


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

    def forget_user(self, user_id: str) -> int:
        """Delete every event of ``user_id`` (from their one partition); return how many went.

        The file keeps no copy: the delete runs with ``secure_delete`` (freed bytes are zeroed), the
        file is rewritten (``VACUUM``: page splits leave stale copies of rows in unused page space)
        and the WAL is checkpointed and truncated afterwards. Offsets never change and are never handed
        out again: the deleted ones become gaps that polls step over. A group whose committed offset
        sits in front of deleted events only (nothing left before the next remaining event) is moved
        to that event, or to the end, so its lag reaches 0 again; events above a group's committed
        offset that are not the user's are never skipped.
        """
        partition = partition_for(user_id, self.partitions)
        job = _Task(lambda conn: _forget(conn, partition, user_id))
        self._submit(job)
        deleted = int(job.future.result())
        with self._errors("checkpoint"), self._turn:
            conn = layout.connect(
                self._path, busy_timeout_ms=self._busy_timeout_ms, synchronous=self._synchronous
            )
            try:
                if deleted:  # stale copies of rows in unused page space: only a rewrite drops them
                    conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                conn.close()
        return deleted

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

    # -- dead letters ---------------------------------------------------------------------------
    # A table of the log's own file, made on the first quarantine: a log that never had a poison
    # record keeps exactly the layout of sqlite_log_schema.py.

    def quarantine(self, letter: DeadLetter) -> None:
        """Set ``letter`` aside durably (before the consumer commits past it); one per record."""
        row = (
            letter.group,
            check_partition(letter.partition, self.partitions),
            check_offset(letter.offset),
            letter.event_id,
            letter.event,
            letter.error,
            letter.traceback,
            letter.attempts,
            letter.quarantined_at_ms,
        )

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(_DEAD_LETTER_TABLE)
            conn.execute(f"INSERT OR REPLACE INTO dead_letter VALUES ({', '.join('?' * len(row))})", row)

        job = _Task(run)
        self._submit(job)
        job.future.result()

    def dead_letters(self, group: str | None = None) -> list[DeadLetter]:
        """Every letter (of ``group``), oldest record first."""
        where, args = ("WHERE group_name = ?", (group,)) if group is not None else ("", ())
        query = f"SELECT * FROM dead_letter {where} ORDER BY group_name, partition, offset"
        with self._errors("read dead letters"):
            rows = self._dead_letter_rows(query, args)
        return [DeadLetter(*row) for row in rows]

    def dead_letter_count(self) -> dict[str, int]:
        """Letters per consumer group (groups without any are left out)."""
        query = "SELECT group_name, count(*) FROM dead_letter GROUP BY group_name"
        with self._errors("count dead letters"):
            return dict(self._dead_letter_rows(query, ()))

    def forget_dead_letter(self, group: str, partition: int, offset: int) -> bool:
        """Delete one letter (it was retried successfully); False if there was none."""

        def run(conn: sqlite3.Connection) -> bool:
            conn.execute(_DEAD_LETTER_TABLE)
            deleted = conn.execute(
                "DELETE FROM dead_letter WHERE group_name = ? AND partition = ? AND offset = ?",
                (group, partition, offset),
            ).rowcount
            return bool(deleted)

        job = _Task(run)
        self._submit(job)
        return bool(job.future.result())

    def _dead_letter_rows(self, query: str, args: tuple[Any, ...]) -> list[Any]:
        try:
            return self._reader().execute(query, args).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []  # nothing was ever quarantined in this log
            raise

    # -- errors and lifetime -------------------------------------------------------------------

    def _unavailable(self, action: str, exc: BaseException) -> BackendUnavailable:
        hint = "check that its folder is writable and the disk is not full"
        if "locked" in str(exc) or "busy" in str(exc):
            hint = f"another process held the write lock for more than {self._busy_timeout_ms} ms"
        elif _sqlite_code(exc) == sqlite3.SQLITE_FULL or getattr(exc, "errno", None) in _NO_SPACE:
            hint = "the disk is full: nothing of this request was stored; free space, then send it again"
        elif _corrupt(exc):
            hint = (
                "the file is damaged: stop Tastemaker and restore it and its -wal file from a backup; "
                "without one, move them aside to start an empty log (the events already archived stay "
                "in the Parquet archive)"
            )
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
