"""Server side of the PostgreSQL Store: URL parameters, tables, migrations, error messages.

The tables are those of the SQLite store (one per Store table, keyed by its partition key plus
clustering key), so both stores hold the same rows and a copy between them is table by table.

Column types, chosen by measurement (5000-row batches of listens, COPY path, 2 CPUs):

- catalog rows (tracks, artists, albums) are ``jsonb``, because a write merges the new row into the
  stored one on the server with ``||`` (SQLite's ``json_patch``; both are shallow for our rows, whose
  values are scalars and lists, and the encoder omits None so no key is ever deleted);
- every other msgspec row (listens, playlists, features, labels, users, library files) is ``text``:
  it is only ever replaced whole and read back whole, so the server need not parse it. Writing
  listens as text ran at 51.6k rows/s new and 98k/s for an all-duplicate batch, against 53.5k and
  80k as jsonb (jsonb parses and re-serializes every row; nothing ever queries inside one);
- profiles, audio analyses and recaps are ``bytea``: opaque bytes owned by other contexts.

Key columns are ``COLLATE "C"``: rows sort by bytes as in SQLite (newest-first listens break ties by
``event_id``), and b-tree comparisons are a memcmp rather than a locale's collation.

``listen_days`` holds per-day counts of ``listens``; the store updates both in one statement.

Migrations only move forward. Each runs in one transaction together with the row that records it in
``store_schema_version``, under an advisory lock, so several processes starting
on a fresh database at once create the tables exactly once (PostgreSQL DDL is transactional).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict

from tastemaker.errors import ConfigError

# Version N is MIGRATIONS[N - 1]; append new versions, never edit a shipped one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        'CREATE TABLE tracks (track_id text COLLATE "C" PRIMARY KEY, data jsonb NOT NULL)',
        'CREATE TABLE artists (artist_id text COLLATE "C" PRIMARY KEY, data jsonb NOT NULL)',
        'CREATE TABLE albums (album_id text COLLATE "C" PRIMARY KEY, data jsonb NOT NULL)',
        # No index on ts: a (user, day) partition is small and always read whole, sorted on read.
        """CREATE TABLE listens (
            user_id text COLLATE "C" NOT NULL, day date NOT NULL, ts_ms bigint NOT NULL,
            event_id text COLLATE "C" NOT NULL, data text NOT NULL, PRIMARY KEY (user_id, day, event_id)
        )""",
        """CREATE TABLE listen_days (
            user_id text COLLATE "C" NOT NULL, day date NOT NULL, count integer NOT NULL,
            PRIMARY KEY (user_id, day)
        )""",
        'CREATE TABLE profiles (user_id text COLLATE "C" PRIMARY KEY, data bytea NOT NULL)',
        """CREATE TABLE playlists (
            user_id text COLLATE "C" NOT NULL, kind text COLLATE "C" NOT NULL,
            playlist_id text COLLATE "C" NOT NULL, data text NOT NULL,
            PRIMARY KEY (user_id, kind, playlist_id)
        )""",
        'CREATE TABLE features (track_id text COLLATE "C" PRIMARY KEY, data text NOT NULL)',
        'CREATE TABLE labels (track_id text COLLATE "C" PRIMARY KEY, data text NOT NULL)',
        'CREATE TABLE analyses (track_id text COLLATE "C" PRIMARY KEY, data bytea NOT NULL)',
        'CREATE TABLE library_files (path text COLLATE "C" PRIMARY KEY, data text NOT NULL)',
        """CREATE TABLE recaps (
            user_id text COLLATE "C" NOT NULL, year integer NOT NULL, data bytea NOT NULL,
            PRIMARY KEY (user_id, year)
        )""",
        'CREATE TABLE users (name text COLLATE "C" PRIMARY KEY, data text NOT NULL)',
        'CREATE TABLE user_tokens (token_hash text COLLATE "C" PRIMARY KEY, name text NOT NULL)',
    ),
)
LATEST_VERSION = len(MIGRATIONS)
# The advisory lock every migrating process takes: a constant of our own, 'tastemak' in ASCII.
MIGRATION_LOCK_KEY = 0x74617374656D616B

# Our own URL parameters (the rest go to libpq): name → default.
POOL_PARAMS = {"pool_min": "1", "pool_max": "10", "pool_timeout_s": "30", "prepare_threshold": "0"}
DEFAULT_CONNECT_TIMEOUT_S = "5"


class NewerSchemaError(Exception):
    """The database was written by a newer Tastemaker; the caller turns this into BackendUnavailable."""

    def __init__(self, found: int) -> None:
        super().__init__(found)
        self.found = found


class Settings:
    """What ``parse_url`` found: libpq's connection string plus the pool's own settings."""

    def __init__(
        self,
        conninfo: str,
        *,
        pool_min: int,
        pool_max: int,
        pool_timeout_s: float,
        prepare_threshold: int | None,
    ) -> None:
        self.conninfo = conninfo
        self.pool_min = pool_min
        self.pool_max = pool_max
        self.pool_timeout_s = pool_timeout_s
        self.prepare_threshold = prepare_threshold


def masked(url: str) -> str:
    """``url`` with its password replaced by ``***``, for error messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def _whole(url: str, name: str, value: str, *, minimum: int) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) < minimum:
        msg = f"{masked(url)!r}: {name}={value!r} must be a whole number >= {minimum}"
        raise ConfigError(msg)
    return int(value)


def parse_url(url: str) -> Settings:
    """Split ``postgresql://…?pool_min=…`` into our pool settings and libpq's connection string."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        msg = f"{masked(url)!r}: expected postgresql://user@host:port/database"
        raise ConfigError(msg)
    query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
    ours = {name: query.pop(name, default) for name, default in POOL_PARAMS.items()}
    query.setdefault("connect_timeout", DEFAULT_CONNECT_TIMEOUT_S)
    libpq_url = urlunsplit(parts._replace(scheme="postgresql", query="", fragment=""))
    try:
        conninfo = psycopg.conninfo.make_conninfo(libpq_url, **query)
        conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError as exc:
        known = ", ".join(POOL_PARAMS)
        msg = f"{masked(url)!r}: {exc}; known: {known} and libpq's connection parameters"
        raise ConfigError(msg) from exc
    pool_min = _whole(url, "pool_min", ours["pool_min"], minimum=0)
    pool_max = _whole(url, "pool_max", ours["pool_max"], minimum=1)
    if pool_max < pool_min:
        msg = f"{masked(url)!r}: pool_max={pool_max} is below pool_min={pool_min}"
        raise ConfigError(msg)
    threshold = ours["prepare_threshold"]
    return Settings(
        conninfo,
        pool_min=pool_min,
        pool_max=pool_max,
        pool_timeout_s=_whole(url, "pool_timeout_s", ours["pool_timeout_s"], minimum=1),
        prepare_threshold=None
        if threshold.lower() == "none"
        else _whole(url, "prepare_threshold", threshold, minimum=0),
    )


def current_version(conn: psycopg.Connection[Any]) -> int:
    """The schema version of the database, 0 for a fresh one."""
    row = conn.execute("SELECT to_regclass('store_schema_version') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return 0
    found = conn.execute("SELECT coalesce(max(version), 0) FROM store_schema_version").fetchone()
    return int(found[0]) if found else 0


def migrate(conn: psycopg.Connection[Any]) -> None:
    """Bring the database to ``LATEST_VERSION``; raises NewerSchemaError for one from the future.

    ``conn`` is in autocommit mode; the work happens in one transaction, under the advisory lock.
    """
    found = current_version(conn)
    if found > LATEST_VERSION:
        raise NewerSchemaError(found)
    if found == LATEST_VERSION:
        return
    # A session lock taken before the transaction, not a transaction-scoped one inside it: catalog
    # caches are refreshed when a transaction starts, so this one sees tables another process just
    # committed (inside, a stale cache entry said "no such table" and CREATE TABLE failed).
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    try:
        with conn.transaction():
            found = current_version(conn)  # again, now that we hold the lock
            if found > LATEST_VERSION:
                raise NewerSchemaError(found)
            if found == 0:
                conn.execute(
                    "CREATE TABLE store_schema_version ("
                    "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
                )
            for version in range(found + 1, LATEST_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    conn.execute(statement)
                conn.execute("INSERT INTO store_schema_version (version) VALUES (%s)", (version,))
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


def explain(url: str, exc: psycopg.Error) -> str:
    """The BackendUnavailable message for ``exc``: which server, what went wrong and what to do."""
    text = str(exc).strip().replace("\n", " ")
    where = f"PostgreSQL store {masked(url)}"
    if isinstance(exc, psycopg.OperationalError) and (
        "connect" in text or "closed" in text or "terminat" in text or "timeout" in text
    ):
        return (
            f"{where}: cannot reach the server ({text}); start PostgreSQL or fix host, port, user and "
            "password in store_url"
        )
    return f"{where}: {text}"
