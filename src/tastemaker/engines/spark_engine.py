"""The cluster engine: Spark SQL over bucketed, sorted tables, every bucket in one run.

The job's SQL is the same portable SQL the DuckDB engine runs; only the relations are built
differently. Each ``run``:

1. loads the small ``tracks`` dimension (and ``track_genres``, its genres exploded) as temporary
   views; the engine's own SQL joins them with a ``BROADCAST`` hint, so the dimension is shipped to
   every task instead of being shuffled;
2. reads the year's and the earlier history's event files and writes them once as Spark *bucketed,
   sorted* tables (``bucketBy(M, "user_id").sortBy("user_id", "ts")``, M = the archive's bucket
   count). The archive is already bucketed by user, but with ``murmur3_32(user_id) mod M`` over the
   UTF-8 bytes, and Spark's bucket id is ``pmod(Murmur3Hash(user_id, seed 42), M)``: the same family
   of hash, a different function, so Spark cannot trust our layout and would shuffle every join. It
   therefore re-buckets once, on load, by its own hash (one shuffle of the raw events), and every
   user-keyed step after that is shuffle-free;
3. builds ``plays``, ``user_tracks`` and ``known_artists`` as bucketed tables too (from the bucketed
   scans, so building them shuffles nothing), which makes the ``new_artists`` statistic's user-keyed
   join ``user_tracks LEFT JOIN known_artists`` a SortMergeJoin of co-bucketed tables with **no
   Exchange** on either side (see ``explain_join``); ``play_genres`` is a view over ``user_tracks``;
4. runs every query with ``spark.sql`` and hands the rows back as Arrow, integers as int64.

Two settings make that plan hold whatever the data size. ``spark.sql.autoBroadcastJoinThreshold`` is
-1 (the dimension is broadcast by hint, not by size), so the plays/history join stays a sort-merge
join on small test data as on a real year; and ``spark.sql.requireAllClusterKeysForCoPartition`` is
false, because the join is on (user_id, artist_id) while the tables are bucketed by user_id alone,
which by default Spark would re-shuffle to avoid skew.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from tastemaker.engines.base import JobInput
from tastemaker.wrapped.stats import new_artists

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

EVENT_COLUMNS = ("user_id", "ts", "track_id", "ms_played", "type")
"""The event columns the relations need (the rest of the archive's schema is left unread)."""

_PLAYS = """
    SELECT e.user_id,
           unix_date(to_date(e.ts)) AS day_number,
           month(e.ts) AS month,
           weekday(e.ts) AS weekday,
           hour(e.ts) AS hour,
           e.track_id, e.ms_played AS ms,
           CASE WHEN e.ms_played >= 30000 THEN 1 ELSE 0 END AS stream
    FROM {events} e
    WHERE e.type IN ('play', 'skip') AND e.ms_played > 0
"""
_USER_TRACKS = """
    SELECT /*+ BROADCAST(t) */ u.user_id, u.track_id, t.artist_id, t.album_id, t.release_year,
           t.valence, t.energy, t.danceability, t.tempo, u.ms, u.streams
    FROM (SELECT user_id, track_id, SUM(ms) AS ms, SUM(stream) AS streams
          FROM plays GROUP BY user_id, track_id) u
    LEFT JOIN tracks t ON u.track_id = t.track_id
"""
_KNOWN_ARTISTS = """
    SELECT /*+ BROADCAST(t) */ DISTINCT e.user_id, t.artist_id
    FROM {events} e JOIN tracks t ON e.track_id = t.track_id
    WHERE e.type IN ('play', 'skip') AND e.ms_played > 0 AND t.artist_id IS NOT NULL
"""
_PLAY_GENRES = """
    SELECT /*+ BROADCAST(g) */ u.user_id, g.genre, u.ms
    FROM user_tracks u JOIN track_genres g ON u.track_id = g.track_id
"""
_TRACK_GENRES = "SELECT DISTINCT track_id, genre FROM tracks LATERAL VIEW explode(genres) exploded AS genre"

_YEAR_EVENTS = "tm_year_events"
_HISTORY_EVENTS = "tm_history_events"
_PLAYS_TABLE = "tm_plays"
_USER_TRACKS_TABLE = "tm_user_tracks"
_KNOWN_ARTISTS_TABLE = "tm_known_artists"


class SparkEngine:
    """Spark SQL over every bucket at once; the session starts on the first run and ``close`` stops it."""

    name = "spark"

    def __init__(
        self, *, master: str = "local[2]", warehouse: str | None = None, app_name: str = "tastemaker-wrapped"
    ) -> None:
        self.master = master
        self.app_name = app_name
        self._own_warehouse = warehouse is None
        self.warehouse = Path(warehouse or tempfile.mkdtemp(prefix="tastemaker-spark-"))
        self._spark: SparkSession | None = None

    # --- the Engine protocol ------------------------------------------------------------------------
    def buckets_per_run(self, buckets: int) -> int:
        """All of them: Spark parallelises over buckets itself, and one run re-buckets the events once."""
        return buckets

    def parallel_runs(self) -> int:
        return 1  # one run covers every bucket; Spark parallelises inside it

    def run(self, job: JobInput, queries: Mapping[str, str], buckets: Sequence[int]) -> dict[str, pa.Table]:
        spark = self._prepare(job, buckets)
        return {name: _to_arrow(spark.sql(sql)) for name, sql in queries.items()}

    def close(self) -> None:
        if self._spark is not None:
            self._spark.stop()
            self._spark = None
        if self._own_warehouse:
            shutil.rmtree(self.warehouse, ignore_errors=True)

    # --- for the benchmark -----------------------------------------------------------------------------
    def explain_join(self, job: JobInput, buckets: Sequence[int]) -> str:
        """The physical plan of the ``new_artists`` join (this year's plays with the history), as Spark
        would run it.

        The benchmark prints it and checks that the join reads both bucketed tables with no
        ``Exchange`` (shuffle) under it.
        """
        spark = self._prepare(job, buckets)
        frame = spark.sql(new_artists.NEW_TO_USER)
        return str(frame._jdf.queryExecution().executedPlan().toString())

    # --- building the relations ------------------------------------------------------------------------
    def session(self) -> SparkSession:
        """The Spark session, started on first use (a few seconds: the JVM)."""
        if self._spark is None:
            from pyspark.sql import SparkSession

            spark = (
                SparkSession.builder.master(self.master)
                .appName(self.app_name)
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.catalogImplementation", "in-memory")
                .config("spark.sql.warehouse.dir", str(self.warehouse / "warehouse"))
                # the archive writes page checksums: a file damaged after listing fails the run
                .config("spark.hadoop.parquet.page.verify-checksum.enabled", "true")
                .getOrCreate()
            )
            spark.sparkContext.setLogLevel("ERROR")
            # runtime settings, set again in case getOrCreate returned a session started elsewhere
            spark.conf.set("spark.sql.session.timeZone", "UTC")
            spark.conf.set("spark.sql.sources.bucketing.enabled", "true")
            spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
            spark.conf.set("spark.sql.requireAllClusterKeysForCoPartition", "false")
            self._spark = spark
        return self._spark

    def _prepare(self, job: JobInput, buckets: Sequence[int]) -> SparkSession:
        spark = self.session()
        spark.conf.set("spark.sql.shuffle.partitions", str(job.buckets))
        self._load_tracks(spark, job.dimension("tracks"))
        for table, history in ((_YEAR_EVENTS, False), (_HISTORY_EVENTS, True)):
            events = self._events(spark, job.files(buckets, history=history))
            self._bucketed(events, table, job.buckets, sort=("user_id", "ts"))
        plays = spark.sql(_PLAYS.format(events=_YEAR_EVENTS))
        self._bucketed(plays, _PLAYS_TABLE, job.buckets, sort=("user_id", "track_id"))
        spark.table(_PLAYS_TABLE).createOrReplaceTempView("plays")
        user_tracks = spark.sql(_USER_TRACKS)
        self._bucketed(user_tracks, _USER_TRACKS_TABLE, job.buckets, sort=("user_id", "artist_id"))
        spark.table(_USER_TRACKS_TABLE).createOrReplaceTempView("user_tracks")
        known = spark.sql(_KNOWN_ARTISTS.format(events=_HISTORY_EVENTS))
        self._bucketed(known, _KNOWN_ARTISTS_TABLE, job.buckets, sort=("user_id", "artist_id"))
        spark.table(_KNOWN_ARTISTS_TABLE).createOrReplaceTempView("known_artists")
        spark.sql(_PLAY_GENRES).createOrReplaceTempView("play_genres")
        return spark

    def _load_tracks(self, spark: SparkSession, files: list[str]) -> None:
        tracks = spark.read.parquet(*files) if files else spark.createDataFrame([], _track_schema())
        tracks.createOrReplaceTempView("tracks")
        spark.sql(_TRACK_GENRES).createOrReplaceTempView("track_genres")

    def _events(self, spark: SparkSession, files: list[str]) -> DataFrame:
        """The events of ``files``, only the columns the relations need; empty and typed if none."""
        if not files:
            return spark.createDataFrame([], _event_schema())
        return spark.read.parquet(*files).select(*EVENT_COLUMNS)

    def _bucketed(self, frame: DataFrame, table: str, buckets: int, *, sort: tuple[str, ...]) -> None:
        """Save ``frame`` as a table bucketed by user into ``buckets`` files, each sorted by ``sort``.

        The ``repartition`` uses the same hash and modulus as Spark's bucketing, so each bucket is
        written by one task as one file; from a bucketed scan it is free (no Exchange).
        """
        spark = frame.sparkSession
        spark.sql(f"DROP TABLE IF EXISTS {table}")
        (
            frame.repartition(buckets, "user_id")
            .write.mode("overwrite")
            .option("path", str(self.warehouse / table))
            .bucketBy(buckets, "user_id")
            .sortBy(*sort)
            .saveAsTable(table)
        )


def _to_arrow(frame: DataFrame) -> pa.Table:
    """The rows as Arrow, narrower integers widened to int64 (what the statistics' code expects)."""
    with warnings.catch_warnings():
        # pyspark's Arrow path warns about optional pandas/numpy versions it does not use here
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark\..*")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pyspark\..*")
        table = frame.toArrow()
    columns = []
    for column in table.columns:
        kind = column.type
        whole = pa.types.is_integer(kind) or (pa.types.is_decimal(kind) and kind.scale == 0)
        if whole and kind != pa.int64():
            column = pc.cast(column, pa.int64())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _event_schema() -> StructType:
    from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

    return StructType(
        [
            StructField("user_id", StringType()),
            StructField("ts", TimestampType()),
            StructField("track_id", StringType()),
            StructField("ms_played", LongType()),
            StructField("type", StringType()),
        ]
    )


def _track_schema() -> StructType:
    """``TRACK_DIMENSION`` in Spark types, for a job over an archive with no exported tracks."""
    from pyspark.sql.types import ArrayType, IntegerType, StringType, StructField, StructType

    strings = ("track_id", "track_name", "artist_id", "artist_name", "album_id", "album_name")
    fields = [StructField(name, StringType()) for name in strings]
    fields.append(StructField("release_year", IntegerType()))
    fields.append(StructField("genres", ArrayType(StringType())))
    fields.extend(StructField(name, IntegerType()) for name in ("valence", "energy", "danceability", "tempo"))
    return StructType(fields)
