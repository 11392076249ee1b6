"""On-disk layout of the SQLite event log: connection settings, tables, and the SQL that writes them.

Kept apart from ``sqlite_log.py`` (threads, queues, positions) so that the format, which outlives any
process, reads in one place. The functions that read or write rows run inside a transaction
their caller holds (``begin_immediate``).
"""

from __future__ import annotations

import heapq
import random
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from tastemaker.errors import BackendUnavailable, ConfigError
from tastemaker.events.log import Offset

FORMAT_VERSION = 1
DEFAULT_PARTITIONS = 8
SYNCHRONOUS_MODES = ("NORMAL", "FULL", "EXTRA")
# Checkpoint every 40 MiB of WAL instead of SQLite's 4 MiB: random event ids dirty a page per event,
# and fewer, larger checkpoints write each hot page once (measured 1.3-2x faster appends).
WAL_CHECKPOINT_PAGES = 10_000
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024

SCHEMA = (
    "CREATE TABLE log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE log_partitions (
        partition INTEGER PRIMARY KEY, next_offset INTEGER NOT NULL, bytes INTEGER NOT NULL)""",
    # WITHOUT ROWID: rows sit in (partition, offset) order, so appends and polls touch few pages.
    """CREATE TABLE events (
        partition INTEGER NOT NULL, offset INTEGER NOT NULL, id_hash INTEGER NOT NULL,
        event_id TEXT NOT NULL, user_id TEXT NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL,
        size INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (partition, offset)
    ) WITHOUT ROWID""",
    # The duplicate check looks events up by (ts, hash of event_id). Event ids are random (content
    # hashes), so an index on the id alone puts every new event on a different index page, and each of
    # those pages is rewritten at commit (measured: 3-4x slower appends than no index). Leading with
    # ts keeps new entries together at the recent end of the index. A duplicate is the same event
    # sent again, so it has the same ts; ``insert`` compares the stored event_id, so a hash collision
    # can never merge two events.
    "CREATE INDEX events_by_ts_id ON events (ts, id_hash)",
    """CREATE TABLE consumer_offsets (
        group_name TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
        PRIMARY KEY (group_name, partition)
    ) WITHOUT ROWID""",
)
_FIND = """SELECT event_id, partition, offset FROM events WHERE (ts, id_hash) IN
    (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))"""
# Whole batches go in and out as one JSON document and one statement: Python's sqlite3 gives up the
# interpreter lock for every row it steps, and in a busy server each re-acquisition can wait a whole
# switch interval behind the event loop (measured: 154k events/s alone, 542/s beside one busy thread).
_INSERT = """INSERT INTO events
    (partition, id_hash, event_id, user_id, ts, received_at, size, payload, offset)
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
        value -> 7, value ->> 8
    FROM json_each(?)"""
ENDS = "SELECT partition, next_offset FROM log_partitions"
_ADVANCE = "UPDATE log_partitions SET next_offset = ?, bytes = bytes + ? WHERE partition = ?"
POLL = """SELECT coalesce(json_group_array(json_array(offset, json(payload))), '[]') FROM
    (SELECT offset, payload FROM events WHERE partition = ? AND offset >= ? ORDER BY offset LIMIT ?)"""
COMMIT = """INSERT INTO consumer_offsets (group_name, partition, next_offset) VALUES (?, ?, ?)
    ON CONFLICT (group_name, partition) DO UPDATE SET next_offset = max(next_offset, excluded.next_offset)"""
_FIRST_YOUNG = "SELECT offset FROM events WHERE partition = ? AND received_at >= ? ORDER BY offset LIMIT 1"
_OLDEST = "SELECT received_at, partition, offset, size FROM events WHERE partition = ? ORDER BY offset"
_PREFIX = "SELECT count(*), coalesce(sum(size), 0) FROM events WHERE partition = ? AND offset < ?"

# What the writer needs of one event: partition, id_hash, event_id, user_id, ts, received_at, size, payload.
Row = tuple[int, int, str, str, int, int, int, msgspec.Raw]
_ids_encoder = msgspec.json.Encoder()
_rows_encoder = msgspec.json.Encoder()


def connect(path: Path, *, busy_timeout_ms: int, synchronous: str | None) -> sqlite3.Connection:
    """Autocommit (we BEGIN ourselves); ``synchronous=None`` opens a read-only connection."""
    conn = sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if synchronous is None:
            conn.execute("PRAGMA query_only = 1")
            return conn
        (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if str(mode).lower() != "wal":
            msg = f"event log {path}: SQLite could not use WAL mode here (a network file system?)"
            raise BackendUnavailable(msg)
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
    except BaseException:
        conn.close()
        raise
    return conn


def begin_immediate(conn: sqlite3.Connection, *, timeout_ms: int) -> None:
    """Take the write lock, trying again every 0.5-4 ms (jittered) for up to ``timeout_ms``.

    SQLite's own busy handler sleeps up to 100 ms between tries, so while another process keeps the
    lock busy (an import) this process's appends waited over 100 ms at p99; short jittered retries
    give each waiting writer a fair chance at the gaps between the other's transactions.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    delay_s = 0.0005
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                    raise
            time.sleep(delay_s * random.uniform(0.5, 1.5))
            delay_s = min(delay_s * 2, 0.004)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")


def create_or_check(conn: sqlite3.Connection, path: Path, partitions: int | None, *, timeout_ms: int) -> int:
    """Create the tables on first open (once, even if processes race); return the stored count."""
    begin_immediate(conn, timeout_ms=timeout_ms)
    try:
        exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'log_meta'").fetchone()
        if not exists:
            count = partitions or DEFAULT_PARTITIONS
            for statement in SCHEMA:
                conn.execute(statement)
            created = [("format_version", str(FORMAT_VERSION)), ("partitions", str(count))]
            conn.executemany("INSERT INTO log_meta VALUES (?, ?)", created)
            conn.executemany("INSERT INTO log_partitions VALUES (?, 0, 0)", [(p,) for p in range(count)])
        meta = dict(conn.execute("SELECT key, value FROM log_meta").fetchall())
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if int(meta["format_version"]) > FORMAT_VERSION:
        msg = f"event log {path} has format {meta['format_version']}, newer than this Tastemaker; upgrade it"
        raise BackendUnavailable(msg)
    stored = int(meta["partitions"])
    if partitions is not None and partitions != stored:
        msg = (
            f"event log {path} was created with {stored} partitions, but {partitions} were asked for; "
            f"the count is fixed when a log is created: set partitions = {stored} "
            "(TASTEMAKER_PARTITIONS), or point event_log_url at a new file"
        )
        raise ConfigError(msg)
    return stored


def store_commits(conn: sqlite3.Connection, rows: list[tuple[str, int, int]]) -> None:
    """Committed offsets of (group, partition, next_offset); never moves one backwards."""
    conn.executemany(COMMIT, rows)


def insert(conn: sqlite3.Connection, rows: list[Row]) -> list[Offset]:
    """Store the rows whose event_id is new at the next offsets; return every row's offset."""
    hashes = _ids_encoder.encode([(row[4], row[1]) for row in rows])
    known = {event_id: Offset(p, o) for event_id, p, o in conn.execute(_FIND, (hashes,))}
    next_offsets: dict[int, int] = dict(conn.execute(ENDS))
    added: dict[int, int] = {}
    fresh: list[tuple[Any, ...]] = []
    result: list[Offset] = []
    for row in rows:
        found = known.get(row[2])
        if found is None:
            partition = row[0]
            offset = next_offsets[partition]
            next_offsets[partition] = offset + 1
            added[partition] = added.get(partition, 0) + row[6]
            found = known[row[2]] = Offset(partition, offset)
            fresh.append((*row, offset))
        result.append(found)
    if fresh:
        conn.execute(_INSERT, (_rows_encoder.encode(fresh),))
    conn.executemany(_ADVANCE, [(next_offsets[p], added[p], p) for p in added])
    return result


def age_cutoffs(conn: sqlite3.Connection, cutoff_ms: int) -> dict[int, int]:
    """Per partition, the first offset to keep: the oldest event received at or after the cutoff."""
    cutoffs: dict[int, int] = {}
    for partition, next_offset in conn.execute(ENDS).fetchall():
        young = conn.execute(_FIRST_YOUNG, (partition, cutoff_ms)).fetchone()
        cutoffs[partition] = next_offset if young is None else young[0]
    return cutoffs


def size_cutoffs(conn: sqlite3.Connection, max_bytes: int) -> dict[int, int]:
    """Per partition, the first offset to keep so that the log holds at most ``max_bytes`` of payload."""
    (total,) = conn.execute("SELECT coalesce(sum(bytes), 0) FROM log_partitions").fetchone()
    excess = total - max_bytes
    cutoffs: dict[int, int] = {}
    if excess <= 0:
        return cutoffs
    partitions = [p for (p,) in conn.execute("SELECT partition FROM log_partitions").fetchall()]
    cursors = [conn.execute(_OLDEST, (p,)) for p in partitions]
    try:
        for _received, partition, offset, size in heapq.merge(*cursors):
            cutoffs[partition] = offset + 1
            excess -= size
            if excess <= 0:
                break
    finally:
        for cursor in cursors:
            cursor.close()
    return cutoffs


def delete_before(conn: sqlite3.Connection, cutoffs: Mapping[int, int]) -> int:
    deleted = 0
    for partition, first_kept in cutoffs.items():
        count, size = conn.execute(_PREFIX, (partition, first_kept)).fetchone()
        if count:
            conn.execute("DELETE FROM events WHERE partition = ? AND offset < ?", (partition, first_kept))
            conn.execute("UPDATE log_partitions SET bytes = bytes - ? WHERE partition = ?", (size, partition))
            deleted += count
    return deleted


def retain(conn: sqlite3.Connection, *, cutoff_ms: int | None, max_bytes: int | None) -> int:
    """Delete each partition's oldest events beyond the age cutoff, then beyond the size bound."""
    deleted = 0
    if cutoff_ms is not None:
        deleted += delete_before(conn, age_cutoffs(conn, cutoff_ms))
    if max_bytes is not None:
        deleted += delete_before(conn, size_cutoffs(conn, max_bytes))
    return deleted
