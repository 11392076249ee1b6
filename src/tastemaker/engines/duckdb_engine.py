"""The default engine: DuckDB, one bucket at a time.

Each ``run`` builds the job relations from one bucket's files only: the year's events of that
bucket, the same bucket of the earlier history (same users, by construction of the layout), and the
small tracks dimension, which is loaded once and broadcast to every bucket. Memory is therefore
bounded by one bucket, whatever the size of the archive; ``memory_limit`` makes DuckDB spill to disk
rather than grow past it. With ``bucketed=False`` the job asks for all buckets in one run, which is
the same work as on an unbucketed archive: one hash join over the whole year (the benchmark's
baseline).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from tastemaker.engines.base import TRACK_DIMENSION, JobInput
from tastemaker.storage.archive import Archive

_PLAYS = """
    CREATE OR REPLACE TEMP TABLE plays AS
    SELECT user_id,
           CAST(epoch // 86400000 AS INTEGER) AS day_number,
           CAST(month(DATE '1970-01-01' + CAST(epoch // 86400000 AS INTEGER)) AS INTEGER) AS month,
           CAST((epoch // 86400000 + 3) % 7 AS INTEGER) AS weekday,
           CAST((epoch // 3600000) % 24 AS INTEGER) AS hour,
           track_id, ms_played AS ms,
           CASE WHEN ms_played >= 30000 THEN 1 ELSE 0 END AS stream
    FROM (SELECT user_id, epoch_ms(ts) AS epoch, track_id, ms_played, type FROM read_parquet($files)) e
    WHERE type IN ('play', 'skip') AND ms_played > 0
"""
"""Calendar fields by integer arithmetic on epoch milliseconds (1970-01-01 was a Thursday, weekday 3):
the time-zone-aware functions on TIMESTAMPTZ cost more than reading the files."""
_USER_TRACKS = """
    CREATE OR REPLACE TEMP TABLE user_tracks AS
    SELECT u.user_id, u.track_id, t.artist_id, t.album_id, t.release_year,
           t.valence, t.energy, t.danceability, t.tempo, u.ms, u.streams
    FROM (SELECT user_id, track_id, CAST(SUM(ms) AS BIGINT) AS ms, CAST(SUM(stream) AS BIGINT) AS streams
          FROM plays GROUP BY user_id, track_id) u
    LEFT JOIN tracks t ON u.track_id = t.track_id
"""
_PLAY_GENRES = """
    CREATE OR REPLACE TEMP VIEW play_genres AS
    SELECT u.user_id, g.genre, u.ms FROM user_tracks u JOIN track_genres g ON u.track_id = g.track_id
"""
_KNOWN_ARTISTS = """
    CREATE OR REPLACE TEMP TABLE known_artists AS
    SELECT DISTINCT e.user_id, t.artist_id
    FROM read_parquet($files) e JOIN tracks t ON e.track_id = t.track_id
    WHERE e.type IN ('play', 'skip') AND e.ms_played > 0 AND t.artist_id IS NOT NULL
"""


class DuckDBEngine:
    name = "duckdb"

    def __init__(
        self,
        *,
        bucketed: bool = True,
        threads: int | None = None,
        memory_limit: str = "4GB",
        parallel: int = 2,
        wrap: Callable[[Any], Any] | None = None,
    ) -> None:
        """``parallel`` buckets run at once, each on its own connection from its own thread: a
        bucket's many small statements and the Python around them leave a core idle that a second
        bucket fills (measured: 1.58 cores used with one). The connections are cursors of one
        in-memory database (``memory_limit`` is its total), so the tracks dimension is loaded once
        and shared, while each keeps its bucket's relations as its own temporary tables. Each
        statement runs on ``threads`` threads, by default the cores divided by ``parallel`` (16
        buckets of the 100M benchmark set: two connections of two threads each ran 8 % slower than
        two of one; sharing one database and its tracks table then saved 3 % and 40 MB). ``wrap``
        wraps each new connection (the benchmark times statements with it)."""
        self.bucketed = bucketed
        self.parallel = max(1, parallel) if bucketed else 1
        self.threads = threads or max(1, (os.cpu_count() or 1) // self.parallel)
        self.memory_limit = memory_limit
        self.wrap = wrap
        self._local = threading.local()
        self._db: duckdb.DuckDBPyConnection | None = None
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._tracks_of: list[str] | None = None

    @property
    def con(self) -> Any:
        """This thread's connection (a cursor of the engine's database), opened on first use."""
        con = getattr(self._local, "con", None)
        if con is None:
            with self._lock:
                con = self._database().cursor()
                if self.wrap is not None:
                    con = self.wrap(con)
                self._connections.append(con)
            self._local.con = con
        return con

    def _database(self) -> duckdb.DuckDBPyConnection:
        """The in-memory database every connection of this engine shares (opened under the lock)."""
        if self._db is None:
            db = duckdb.connect()
            db.execute("SET TimeZone = 'UTC'")
            db.execute(f"SET memory_limit = '{self.memory_limit}'")
            db.execute(f"SET temp_directory = '{tempfile.gettempdir()}/tastemaker-duckdb'")
            db.execute("SET preserve_insertion_order = false")
            db.execute(f"SET threads = {int(self.threads)}")
            self._db = db
        return self._db

    def buckets_per_run(self, buckets: int) -> int:
        return 1 if self.bucketed else buckets

    def parallel_runs(self) -> int:
        return self.parallel

    def run(self, job: JobInput, queries: Mapping[str, str], buckets: Sequence[int]) -> dict[str, pa.Table]:
        register_filesystem(self.con, job.archive)
        self._load_tracks(job.dimension("tracks"))
        self._relation(_PLAYS, job.files(buckets), _empty_events_sql())
        self.con.execute(_USER_TRACKS)
        self.con.execute(_PLAY_GENRES)
        self._relation(_KNOWN_ARTISTS, job.files(buckets, history=True), _empty_events_sql())
        return {name: self.con.sql(sql).to_arrow_table() for name, sql in queries.items()}

    def _relation(self, sql: str, files: list[str], empty: str) -> None:
        """Build a relation from ``files``; from an empty typed stand-in when there are none."""
        if files:
            self.con.execute(sql, {"files": files})
        else:
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW empty_events AS {empty}")
            self.con.execute(sql.replace("read_parquet($files)", "empty_events"))

    def _load_tracks(self, files: list[str]) -> None:
        """The shared ``tracks`` and ``track_genres`` tables, loaded by the first connection to need
        them; the others wait, then read the same tables."""
        con = self.con
        with self._lock:
            if self._tracks_of == files:
                return
            if files:
                con.execute(
                    "CREATE OR REPLACE TABLE tracks AS SELECT * FROM read_parquet($files)", {"files": files}
                )
            else:
                empty = TRACK_DIMENSION.empty_table()  # noqa: F841  (read by DuckDB's replacement scan)
                con.execute("CREATE OR REPLACE TABLE tracks AS SELECT * FROM empty")
            con.execute(
                "CREATE OR REPLACE TABLE track_genres AS "
                "SELECT DISTINCT track_id, unnest(genres) AS genre FROM tracks"
            )
            self._tracks_of = list(files)

    def close(self) -> None:
        with self._lock:
            for con in self._connections:
                con.close()
            self._connections.clear()
            if self._db is not None:
                self._db.close()
                self._db = None
            self._tracks_of = None


def register_filesystem(con: duckdb.DuckDBPyConnection, archive: Archive) -> None:
    """Let DuckDB open the archive's URLs through fsspec when it is not a local folder."""
    if not archive.local and not any(
        archive.fs.protocol == p or (isinstance(archive.fs.protocol, tuple) and p in archive.fs.protocol)
        for p in con.list_filesystems()
    ):
        con.register_filesystem(archive.fs)


def _empty_events_sql() -> str:
    return (
        "SELECT CAST(NULL AS VARCHAR) AS user_id, CAST(NULL AS TIMESTAMPTZ) AS ts, "
        "CAST(NULL AS VARCHAR) AS track_id, CAST(NULL AS BIGINT) AS ms_played, "
        "CAST(NULL AS VARCHAR) AS type WHERE false"
    )
