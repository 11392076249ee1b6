"""The embedded Store: one SQLite file in WAL mode, shared by the server, workers and the CLI.

URL: ``sqlite:///relative/store.db`` or ``sqlite:////absolute/store.db``, with optional query
parameters ``synchronous`` (``FULL`` by default, so every write is durable when it returns, even
across a power loss; ``NORMAL`` survives a process crash only) and ``busy_timeout_ms`` (how long a
write waits for another process's write lock, 30 s by default).

Threads: all writes go through one connection guarded by a lock, each in one ``BEGIN IMMEDIATE``
transaction (SQLite admits one writer at a time anyway, and taking the lock up front avoids
deadlocks between readers upgrading to writers). Reads use one connection per thread, so readers
never wait for each other or for the writer (WAL). Processes coordinate through SQLite's file locks.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import Any

import msgspec

from tastemaker.errors import BackendUnavailable
from tastemaker.storage.encoding import (
    ALBUM,
    ARTIST,
    DICT,
    JSON,
    LIBRARY_FILE,
    LISTEN,
    PLAYLIST,
    TRACK,
    USER,
    listen_key,
    text,
)
from tastemaker.storage.models import Album, Artist, LibraryFile, Listen, Playlist, Track, User
from tastemaker.storage.rows import Batch, KeyedBytes, KeyedDict
from tastemaker.storage.sqlite_schema import (
    MIN_SQLITE,
    NewerSchemaError,
    connect,
    explain,
    migrate,
    parse_url,
)

_CHUNK = 900  # ids per IN (...) query: under 999, the smallest bound-parameter limit SQLite has shipped

# Catalog rows merge on write: the encoder omits None and [] (the Structs' defaults), and
# json_patch keeps every stored field the new row does not mention.
_MERGE_SQL = (
    "INSERT INTO {table} ({key}, data) VALUES (?, ?) "
    "ON CONFLICT ({key}) DO UPDATE SET data = json_patch(data, excluded.data)"
)
_REPLACE_SQL = (
    "INSERT INTO {table} ({key}, data) VALUES (?, ?) ON CONFLICT ({key}) DO UPDATE SET data = excluded.data"
)


# Listens go in as multi-row INSERT … RETURNING, so we learn which rows were new (a duplicate returns
# nothing) and count them per day in Python: ~1.5x the throughput of a per-row counting trigger.
_LISTEN_CHUNK = 190  # 5 parameters a row: stays under 999, the smallest limit SQLite has shipped with
_COUNT_DAYS_SQL = (
    "INSERT INTO listen_days (user_id, day, count) VALUES (?, ?, ?) "
    "ON CONFLICT (user_id, day) DO UPDATE SET count = count + excluded.count"
)


@lru_cache(maxsize=8)
def _insert_listens_sql(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?)"] * rows)
    return (
        f"INSERT OR IGNORE INTO listens (user_id, day, ts_ms, event_id, data) VALUES {values} "
        "RETURNING user_id, day"
    )


def _listen_row(listen: Listen) -> tuple[str, str, int, str, str]:
    """``listen_key`` with the day as ISO text, as the SQLite table stores it."""
    user_id, day, ts_ms, event_id, data = listen_key(listen)
    return (user_id, day.isoformat(), ts_ms, event_id, data)


_EXPORT_KEYS: dict[str, tuple[str, ...]] = {
    "users": ("name",),
    "tracks": ("track_id",),
    "artists": ("artist_id",),
    "albums": ("album_id",),
    "features": ("track_id",),
    "labels": ("track_id",),
    "analyses": ("track_id",),
    "library_files": ("path",),
    "listens": ("user_id", "day", "event_id"),
    "profiles": ("user_id",),
    "playlists": ("user_id", "kind", "playlist_id"),
    "recaps": ("user_id", "year"),
}
_EXPORT_DECODE: dict[str, Callable[[tuple[Any, ...], Any], Any]] = {
    "users": lambda _k, d: USER.decode(d),
    "tracks": lambda _k, d: TRACK.decode(d),
    "artists": lambda _k, d: ARTIST.decode(d),
    "albums": lambda _k, d: ALBUM.decode(d),
    "features": lambda k, d: KeyedDict(k[0], DICT.decode(d)),
    "labels": lambda k, d: KeyedDict(k[0], DICT.decode(d)),
    "analyses": lambda k, d: KeyedBytes(tuple(k), bytes(d)),
    "library_files": lambda _k, d: LIBRARY_FILE.decode(d),
    "listens": lambda _k, d: LISTEN.decode(d),
    "profiles": lambda k, d: KeyedBytes(tuple(k), bytes(d)),
    "playlists": lambda _k, d: PLAYLIST.decode(d),
    "recaps": lambda k, d: KeyedBytes((k[0], str(k[1])), bytes(d)),
}


_USER_TABLES = (
    ("listens", "user_id"),
    ("listen_days", "user_id"),
    ("profiles", "user_id"),
    ("playlists", "user_id"),
    ("recaps", "user_id"),
)
"""The tables keyed by a listener: what ``forget_user`` deletes besides the account."""


class SQLiteStore:
    """The Store Protocol on one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: Path, *, synchronous: str = "FULL", busy_timeout_ms: int = 30_000) -> None:
        self.path = path
        self._synchronous = synchronous
        self._busy_timeout_ms = busy_timeout_ms
        self._closed = False
        self._write_lock = threading.Lock()
        self._readers_lock = threading.Lock()
        self._readers: dict[threading.Thread, sqlite3.Connection] = {}
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            msg = f"the SQLite store needs SQLite >= 3.35; this Python has {sqlite3.sqlite_version}"
            raise BackendUnavailable(msg)
        with self._errors():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                msg = f"SQLite store {path}: cannot create its folder ({exc})"
                raise BackendUnavailable(msg) from exc
            self._writer = self._connect(read_only=False)
            try:
                migrate(self._writer)
            except BaseException:
                self._writer.close()
                raise

    @classmethod
    def from_url(cls, url: str) -> SQLiteStore:
        path, synchronous, busy_timeout_ms = parse_url(url)
        return cls(path, synchronous=synchronous, busy_timeout_ms=busy_timeout_ms)

    # catalog
    def put_tracks(self, tracks: Sequence[Track]) -> None:
        self._write_many(_MERGE_SQL, "tracks", "track_id", [(t.track_id, text(t)) for t in tracks])

    def get_track(self, track_id: str) -> Track | None:
        data = self._get_one("tracks", "track_id", track_id)
        return None if data is None else TRACK.decode(data)

    def get_tracks(self, track_ids: Iterable[str]) -> dict[str, Track]:
        return {key: TRACK.decode(data) for key, data in self._get_many("tracks", "track_id", track_ids)}

    def put_artists(self, artists: Sequence[Artist]) -> None:
        self._write_many(_MERGE_SQL, "artists", "artist_id", [(a.artist_id, text(a)) for a in artists])

    def get_artist(self, artist_id: str) -> Artist | None:
        data = self._get_one("artists", "artist_id", artist_id)
        return None if data is None else ARTIST.decode(data)

    def put_albums(self, albums: Sequence[Album]) -> None:
        self._write_many(_MERGE_SQL, "albums", "album_id", [(a.album_id, text(a)) for a in albums])

    def get_album(self, album_id: str) -> Album | None:
        data = self._get_one("albums", "album_id", album_id)
        return None if data is None else ALBUM.decode(data)

    # listening history
    def add_listens(self, listens: Sequence[Listen]) -> int:
        """Insert-or-ignore on (user_id, day, event_id); only the rows really inserted count per day."""
        rows = [_listen_row(listen) for listen in listens]
        if not rows:
            return 0
        new_per_day: Counter[tuple[str, str]] = Counter()
        with self._transaction() as conn:
            for start in range(0, len(rows), _LISTEN_CHUNK):
                chunk = rows[start : start + _LISTEN_CHUNK]
                params = list(chain.from_iterable(chunk))
                new_per_day.update(conn.execute(_insert_listens_sql(len(chunk)), params).fetchall())
            conn.executemany(_COUNT_DAYS_SQL, [(*key, count) for key, count in new_per_day.items()])
        return new_per_day.total()

    def listens(self, user_id: str, day: date) -> list[Listen]:
        rows = self._rows(
            "SELECT data FROM listens WHERE user_id = ? AND day = ? ORDER BY ts_ms DESC, event_id DESC",
            (user_id, day.isoformat()),
        )
        return [LISTEN.decode(data) for (data,) in rows]

    def listen_days(self, user_id: str) -> list[tuple[date, int]]:
        rows = self._rows(
            "SELECT day, count FROM listen_days WHERE user_id = ? ORDER BY day DESC", (user_id,)
        )
        return [(date.fromisoformat(day), count) for day, count in rows]

    # profiles
    def get_profile(self, user_id: str) -> bytes | None:
        data = self._get_one("profiles", "user_id", user_id)
        return None if data is None else bytes(data)

    def get_profiles(self, user_ids: Iterable[str]) -> dict[str, bytes]:
        return {key: bytes(data) for key, data in self._get_many("profiles", "user_id", user_ids)}

    def put_profiles(self, profiles: Mapping[str, bytes]) -> None:
        self._write_many(_REPLACE_SQL, "profiles", "user_id", list(profiles.items()))

    # playlists
    def put_playlists(self, playlists: Sequence[Playlist]) -> None:
        if not playlists:
            return
        sql = (
            "INSERT INTO playlists (user_id, kind, playlist_id, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id, kind, playlist_id) DO UPDATE SET data = excluded.data"
        )
        rows = [(p.user_id, p.kind, p.playlist_id, text(p)) for p in playlists]
        with self._transaction() as conn:
            conn.executemany(sql, rows)

    def get_playlists(self, user_id: str, kind: str) -> list[Playlist]:
        rows = self._rows(
            "SELECT data FROM playlists WHERE user_id = ? AND kind = ? ORDER BY playlist_id", (user_id, kind)
        )
        return [PLAYLIST.decode(data) for (data,) in rows]

    # content intelligence
    def put_features(self, track_id: str, features: Mapping[str, Any]) -> None:
        self._write_many(_REPLACE_SQL, "features", "track_id", [(track_id, text(dict(features)))])

    def get_features(self, track_id: str) -> dict[str, Any] | None:
        data = self._get_one("features", "track_id", track_id)
        return None if data is None else DICT.decode(data)

    def put_recaps(self, year: int, recaps: Mapping[str, bytes]) -> None:
        sql = (
            "INSERT INTO recaps (user_id, year, data) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id, year) DO UPDATE SET data = excluded.data"
        )
        rows = [(user_id, year, bytes(data)) for user_id, data in recaps.items()]
        if rows:
            with self._transaction() as conn:
                conn.executemany(sql, rows)

    def get_recap(self, user_id: str, year: int) -> bytes | None:
        rows = self._rows("SELECT data FROM recaps WHERE user_id = ? AND year = ?", (user_id, year))
        return bytes(rows[0][0]) if rows else None

    def put_analysis(self, track_id: str, data: bytes) -> None:
        self._write_many(_REPLACE_SQL, "analyses", "track_id", [(track_id, bytes(data))])

    def get_analysis(self, track_id: str) -> bytes | None:
        data = self._get_one("analyses", "track_id", track_id)
        return None if data is None else bytes(data)

    def get_features_many(self, track_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {key: DICT.decode(data) for key, data in self._get_many("features", "track_id", track_ids)}

    def put_labels(self, track_id: str, labels: Mapping[str, Any]) -> None:
        self._write_many(_REPLACE_SQL, "labels", "track_id", [(track_id, text(dict(labels)))])

    def get_labels(self, track_id: str) -> dict[str, Any] | None:
        data = self._get_one("labels", "track_id", track_id)
        return None if data is None else DICT.decode(data)

    def get_labels_many(self, track_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {key: DICT.decode(data) for key, data in self._get_many("labels", "track_id", track_ids)}

    # library scans
    def put_library_files(self, files: Sequence[LibraryFile]) -> None:
        self._write_many(_REPLACE_SQL, "library_files", "path", [(f.path, text(f)) for f in files])

    def get_library_file(self, path: str) -> LibraryFile | None:
        data = self._get_one("library_files", "path", path)
        return None if data is None else LIBRARY_FILE.decode(data)

    # migrations (storage/rows.py): whole tables in key order, never on the serving path
    def export_rows(self, table: str, after: str | None, limit: int) -> Batch:
        if table not in _EXPORT_KEYS:
            msg = f"no table {table!r} to export; tables: {', '.join(_EXPORT_KEYS)}"
            raise ValueError(msg)
        keys = _EXPORT_KEYS[table]
        columns = ", ".join(keys)
        where, params = "", []
        if after is not None:
            params = list(msgspec.json.decode(after))
            where = f"WHERE ({columns}) > ({', '.join('?' * len(keys))})"
        sql = f"SELECT {columns}, data FROM {table} {where} ORDER BY {columns} LIMIT ?"
        found = self._rows(sql, [*params, limit])
        rows = [_EXPORT_DECODE[table](tuple(row[:-1]), row[-1]) for row in found]
        cursor = JSON.encode(list(found[-1][:-1])).decode() if len(found) == limit else None
        return Batch(rows=rows, cursor=cursor)

    # accounts
    def put_user(self, user: User) -> None:
        """Replace the user row and its token row together, dropping the old token's row."""
        with self._transaction() as conn:
            self._drop_token(conn, user.name)
            conn.execute(_REPLACE_SQL.format(table="users", key="name"), (user.name, text(user)))
            conn.execute(
                "INSERT INTO user_tokens (token_hash, name) VALUES (?, ?) "
                "ON CONFLICT (token_hash) DO UPDATE SET name = excluded.name",
                (user.token_hash, user.name),
            )

    def get_user(self, name: str) -> User | None:
        data = self._get_one("users", "name", name)
        return None if data is None else USER.decode(data)

    def user_for_token_hash(self, token_hash: str) -> User | None:
        rows = self._rows("SELECT name FROM user_tokens WHERE token_hash = ?", (token_hash,))
        user = self.get_user(rows[0][0]) if rows else None
        # A token row and its user row are written together, but a reader between two separate
        # queries can see a replacement land in between: trust the user row.
        return user if user is not None and user.token_hash == token_hash else None

    def delete_user(self, name: str) -> bool:
        with self._transaction() as conn:
            if not self._drop_token(conn, name):
                return False
            conn.execute("DELETE FROM users WHERE name = ?", (name,))
            return True

    def forget_user(self, user_id: str) -> dict[str, int]:
        """Delete everything held about one listener in one transaction; returns rows deleted per table.

        ``secure_delete`` overwrites the freed bytes with zeros, ``VACUUM`` rewrites the file, and the
        WAL is checkpointed and truncated afterwards, so the file keeps no copy of the deleted rows
        (privacy, not speed: the VACUUM is a pass over the whole file).
        """
        counts: dict[str, int] = {}
        with self._errors(), self._write_lock:
            conn = self._writer
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("BEGIN IMMEDIATE")
            try:
                for table, key in _USER_TABLES:
                    cursor = conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (user_id,))
                    counts[table] = max(cursor.rowcount, 0)
                counts["users"] = int(self._drop_token(conn, user_id))
                conn.execute("DELETE FROM users WHERE name = ?", (user_id,))
                conn.execute("DELETE FROM user_tokens WHERE name = ?", (user_id,))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            # Page splits leave stale copies of rows in unused page space that no delete reaches:
            # only a rewrite of the file drops them. Costs a pass over the file (docs/privacy.md).
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        counts.pop("listen_days", None)
        return counts

    def close(self) -> None:
        """Close every connection this store opened; waits for a write in progress. Idempotent."""
        with self._readers_lock:
            if self._closed:
                return
            self._closed = True
            readers = list(self._readers.values())
            self._readers.clear()
        with self._write_lock:
            self._writer.close()
        for conn in readers:
            conn.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    # helpers
    @staticmethod
    def _drop_token(conn: sqlite3.Connection, name: str) -> bool:
        """Delete the token row of user ``name``; returns whether the user exists."""
        rows = conn.execute("SELECT data FROM users WHERE name = ?", (name,)).fetchall()
        if rows:
            old_hash = USER.decode(rows[0][0]).token_hash
            conn.execute("DELETE FROM user_tokens WHERE token_hash = ? AND name = ?", (old_hash, name))
        return bool(rows)

    def _write_many(self, sql: str, table: str, key: str, rows: list[tuple[str, Any]]) -> None:
        if rows:
            with self._transaction() as conn:
                conn.executemany(sql.format(table=table, key=key), rows)

    def _get_one(self, table: str, key: str, value: str) -> Any:
        rows = self._rows(f"SELECT data FROM {table} WHERE {key} = ?", (value,))
        return rows[0][0] if rows else None

    def _get_many(self, table: str, key: str, values: Iterable[str]) -> list[tuple[str, Any]]:
        unique = list(dict.fromkeys(values))
        found: list[tuple[str, Any]] = []
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found += self._rows(f"SELECT {key}, data FROM {table} WHERE {key} IN ({marks})", chunk)
        return found

    def _rows(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Run one read to completion, so no read transaction stays open (it would pin the WAL)."""
        with self._errors():
            return self._reader().execute(sql, params).fetchall()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` … ``COMMIT`` on the write connection; rolled back on any error."""
        with self._errors(), self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _reader(self) -> sqlite3.Connection:
        thread = threading.current_thread()
        conn = self._readers.get(thread)
        return conn if conn is not None else self._open_reader(thread)

    def _open_reader(self, thread: threading.Thread) -> sqlite3.Connection:
        """A read connection for ``thread``; closes those of threads that have ended meanwhile."""
        conn = self._connect(read_only=True)
        with self._readers_lock:
            ended = [t for t in self._readers if not t.is_alive()]
            for gone in ended:
                self._readers.pop(gone).close()
            if self._closed:
                conn.close()
                raise _closed_error(self.path)
            self._readers[thread] = conn
        return conn

    def _connect(self, *, read_only: bool) -> sqlite3.Connection:
        return connect(
            self.path,
            synchronous=self._synchronous,
            busy_timeout_ms=self._busy_timeout_ms,
            read_only=read_only,
        )

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn SQLite's I/O, lock and corruption errors into BackendUnavailable naming the file."""
        if self._closed:
            raise _closed_error(self.path)
        try:
            yield
        except NewerSchemaError as exc:
            msg = (
                f"SQLite store {self.path}: schema version {exc.found} was written by a newer "
                "Tastemaker; upgrade Tastemaker to open it"
            )
            raise BackendUnavailable(msg) from exc
        except sqlite3.DatabaseError as exc:  # OperationalError (I/O, locks) and corruption
            if isinstance(exc, sqlite3.ProgrammingError | sqlite3.IntegrityError):
                raise
            raise BackendUnavailable(explain(self.path, exc, self._busy_timeout_ms)) from exc


def _closed_error(path: Path) -> BackendUnavailable:
    return BackendUnavailable(f"SQLite store {path} is closed")
