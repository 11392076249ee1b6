"""On-disk side of the SQLite Store: URL, connection settings, tables, migrations, error messages.

The layout mirrors the Cassandra tables one to one (one table per Store table, keyed by its
partition key plus clustering key), so a dump of this file is a readable golden fixture and a
migration to Cassandra is a table-by-table copy. Rows are JSON text encoded by msgspec, except
profiles and audio analyses, which are opaque bytes owned by the profiles and audio contexts.

``listen_days`` holds per-day counts of ``listens``; the store updates both in one transaction.

Migrations only move forward. Each one runs in one ``BEGIN IMMEDIATE`` transaction together with the
row that records it in ``store_schema_version``, so several processes opening a fresh file at once
create the tables exactly once.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from tastemaker.errors import ConfigError

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
MIN_SQLITE = (3, 35, 0)  # INSERT … RETURNING
# A batch of listens touches a page per (user, day) partition; a bigger writer cache keeps those
# pages across batches (add_listens, 5000-row batches: +15 % measured). Readers keep the default.
WRITER_CACHE_KIB = 65536

# Version N is MIGRATIONS[N - 1]; append new versions, never edit a shipped one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE tracks (track_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
        "CREATE TABLE artists (artist_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
        "CREATE TABLE albums (album_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
        """CREATE TABLE listens (
            user_id TEXT NOT NULL, day TEXT NOT NULL, ts_ms INTEGER NOT NULL, event_id TEXT NOT NULL,
            data TEXT NOT NULL, PRIMARY KEY (user_id, day, event_id)
        ) WITHOUT ROWID""",
        # No index on ts: a (user, day) partition is small and is always read whole, so sorting it
        # on read is cheap, while a second b-tree cost a third of the write throughput (measured).
        """CREATE TABLE listen_days (
            user_id TEXT NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL,
            PRIMARY KEY (user_id, day)
        ) WITHOUT ROWID""",
        "CREATE TABLE profiles (user_id TEXT PRIMARY KEY, data BLOB NOT NULL)",
        """CREATE TABLE playlists (
            user_id TEXT NOT NULL, kind TEXT NOT NULL, playlist_id TEXT NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (user_id, kind, playlist_id)
        )""",
        "CREATE TABLE features (track_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
        "CREATE TABLE labels (track_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
        "CREATE TABLE users (name TEXT PRIMARY KEY, data TEXT NOT NULL)",
        "CREATE TABLE user_tokens (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID",
    ),
    (
        # Audio analyses are opaque compressed bytes owned by the audio context; library files are
        # what `tastemaker scan` saw of each file, so an unchanged one is skipped on the next run.
        "CREATE TABLE analyses (track_id TEXT PRIMARY KEY, data BLOB NOT NULL)",
        "CREATE TABLE library_files (path TEXT PRIMARY KEY, data TEXT NOT NULL)",
    ),
    (
        # Wrapped recaps, opaque JSON bytes owned by the wrapped context, one per (user, year).
        """CREATE TABLE recaps (
            user_id TEXT NOT NULL, year INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (user_id, year)
        ) WITHOUT ROWID""",
    ),
)
LATEST_VERSION = len(MIGRATIONS)


class NewerSchemaError(Exception):
    """The file was written by a newer Tastemaker; the caller turns this into BackendUnavailable."""

    def __init__(self, found: int) -> None:
        super().__init__(found)
        self.found = found


def connect(path: Path, *, synchronous: str, busy_timeout_ms: int, read_only: bool) -> sqlite3.Connection:
    """Open one connection in WAL mode with a busy timeout, in autocommit (we BEGIN explicitly).

    ``check_same_thread`` is off because ``close()`` may run on another thread than the one that
    opened a reader; the store still gives each connection to one thread at a time.
    """
    conn = sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL").fetchall()
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        if read_only:
            conn.execute("PRAGMA query_only = 1")
        else:
            conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    except BaseException:
        conn.close()
        raise
    return conn


def current_version(conn: sqlite3.Connection) -> int:
    """The schema version of the file, 0 for a fresh (empty) one."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_schema_version'"
    ).fetchall()
    if not exists:
        return 0
    (version,) = conn.execute("SELECT coalesce(max(version), 0) FROM store_schema_version").fetchone()
    return int(version)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the file to ``LATEST_VERSION``; raises NewerSchemaError for a file from the future."""
    if current_version(conn) == LATEST_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = current_version(conn)  # again, now that we hold the write lock
        if found > LATEST_VERSION:
            raise NewerSchemaError(found)
        if found == 0:
            conn.execute(
                "CREATE TABLE store_schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
        for version in range(found + 1, LATEST_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO store_schema_version (version, applied_at) "
                "VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                (version,),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def parse_url(url: str) -> tuple[Path, str, int]:
    """``sqlite:///path?synchronous=FULL&busy_timeout_ms=30000`` → (path, synchronous, busy_timeout_ms)."""
    parts = urlsplit(url)
    path = unquote(parts.path)[1:]
    if parts.scheme != "sqlite" or parts.netloc or not path:
        msg = f"{url!r}: expected sqlite:///relative/store.db or sqlite:////absolute/store.db"
        raise ConfigError(msg)
    query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(query) - {"synchronous", "busy_timeout_ms"})
    if unknown:
        msg = f"{url!r}: unknown parameter(s) {', '.join(unknown)}; known: synchronous, busy_timeout_ms"
        raise ConfigError(msg)
    synchronous = query.get("synchronous", "FULL").upper()
    if synchronous not in SYNCHRONOUS_MODES:
        msg = f"{url!r}: synchronous={synchronous!r}; use one of {', '.join(SYNCHRONOUS_MODES)}"
        raise ConfigError(msg)
    timeout = query.get("busy_timeout_ms", "30000")
    if not (timeout.isascii() and timeout.isdigit()):
        msg = f"{url!r}: busy_timeout_ms={timeout!r} is not a whole number of milliseconds"
        raise ConfigError(msg)
    return Path(path), synchronous, int(timeout)


def explain(path: Path, exc: sqlite3.Error, busy_timeout_ms: int) -> str:
    """The BackendUnavailable message for ``exc``: which file, what went wrong and what to do."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (
            f"SQLite store {path}: still locked by another connection after {busy_timeout_ms} ms "
            f"({text}); retry, or raise busy_timeout_ms in the store URL"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"SQLite store {path}: not a readable Tastemaker store ({text}); "
            "restore it from a backup or point store_url at another file"
        )
    return f"SQLite store {path}: {text}"
