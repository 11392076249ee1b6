"""The Spark engine against the DuckDB reference: same archive, same SQL, the same recap for everyone.

The world spans December 2024 to January 2025, so the job has a history before the year and the
``new_artists`` join (this year's plays against the earlier history) has rows on both sides.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pyarrow.parquet as pq
import pytest

from tastemaker.engines.base import JobInput
from tastemaker.engines.duckdb_engine import DuckDBEngine
from tastemaker.events.schema import TrackAdded
from tastemaker.services.archiver import track_from_added
from tastemaker.simulate.stream import events
from tastemaker.simulate.world import World
from tastemaker.storage.archive import Archive
from tastemaker.storage.models import Artist
from tastemaker.storage.sqlite_store import SQLiteStore
from tastemaker.wrapped.dimensions import export_dimensions
from tastemaker.wrapped.job import WrappedJob

pytest.importorskip("pyspark", reason="pyspark is not installed (the Spark engine is optional)")
if shutil.which("java") is None:
    pytest.skip("no `java` on PATH: Spark needs a JVM", allow_module_level=True)

from tastemaker.engines.spark_engine import SparkEngine

pytestmark = pytest.mark.slow

YEAR = 2025
BUCKETS = 4


class World2025:
    """The archive, the user ids, and one Store per engine (both hold the same tracks and artists)."""

    def __init__(self, root: Path) -> None:
        world = World.build(seed=7, users=100, tracks=1000, start=date(2024, 12, 1), days=40)
        stream = list(events(world))
        tracks = [track_from_added(e) for e in stream if isinstance(e, TrackAdded)]
        artists = {
            t.artist_id: Artist(artist_id=t.artist_id, name=t.artist_name or t.artist_id, genres=t.genres)
            for t in tracks
            if t.artist_id
        }
        self.stores: dict[str, SQLiteStore] = {}
        for name in ("duckdb", "spark"):
            store = SQLiteStore.from_url(f"sqlite:///{root}/{name}.db")
            store.put_tracks(tracks)
            store.put_artists(list(artists.values()))
            self.stores[name] = store
        self.archive = Archive(str(root / "archive"), buckets=BUCKETS)
        for i in range(0, len(stream), 5000):
            self.archive.append(stream[i : i + 5000])
        self.archive.compact()
        export_dimensions(self.archive, self.stores["duckdb"], end=date(YEAR + 1, 1, 1))
        self.users = sorted({u for e in stream if (u := getattr(e, "user_id", None))})

    def recaps(self, engine: str) -> dict[str, dict[str, Any] | None]:
        store = self.stores[engine]
        found = {u: store.get_recap(u, YEAR) for u in self.users}
        return {u: None if r is None else msgspec.json.decode(r) for u, r in found.items()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World2025:
    return World2025(tmp_path_factory.mktemp("spark-world"))


@pytest.fixture(scope="module")
def spark_engine() -> Iterator[SparkEngine]:
    engine = SparkEngine(master="local[2]")
    try:
        yield engine
    finally:
        engine.close()


@pytest.fixture(scope="module")
def both_runs(world: World2025, spark_engine: SparkEngine) -> World2025:
    duck = WrappedJob(world.archive, world.stores["duckdb"], YEAR, DuckDBEngine())
    duck.run()
    duck.engine.close()
    # the stage folder is reused when the fingerprint matches: remove it, or Spark would find it done
    world.archive.remove_tree(duck.stage_dir)
    report = WrappedJob(world.archive, world.stores["spark"], YEAR, spark_engine).run()
    assert report.engine == "spark"
    assert report.groups == 1  # every bucket in one run
    assert report.groups_resumed == 0
    return world


def _first_difference(left: dict[str, Any] | None, right: dict[str, Any] | None) -> str:
    if left is None or right is None:
        return f"duckdb={left!r} spark={right!r}"
    for key in sorted(set(left) | set(right)):
        if left.get(key) != right.get(key):
            return f"field {key!r}: duckdb={left.get(key)!r} spark={right.get(key)!r}"
    return "equal"


def test_spark_recaps_equal_duckdb_recaps(both_runs: World2025) -> None:
    duck, spark = both_runs.recaps("duckdb"), both_runs.recaps("spark")
    listeners = [u for u, r in duck.items() if r is not None]
    assert len(listeners) > 50
    # the world has history before the year: some listeners have artists that are not new to them
    assert any(r is not None and r["new_artists"]["count"] < r["distinct_artists"] for r in duck.values())
    differing = [u for u in both_runs.users if duck[u] != spark[u]]
    if differing:
        first = differing[0]
        pytest.fail(
            f"{len(differing)} of {len(both_runs.users)} recaps differ; first {first}: "
            f"{_first_difference(duck[first], spark[first])}"
        )


def test_new_artists_join_is_a_sort_merge_join_without_shuffle(
    world: World2025, spark_engine: SparkEngine
) -> None:
    job = JobInput(world.archive, date(YEAR, 1, 1), date(YEAR + 1, 1, 1))
    plan = spark_engine.explain_join(job, range(BUCKETS))
    assert "SortMergeJoin" in plan, plan
    assert "Exchange" not in plan, plan
    assert "Bucketed: true" in plan, plan


def test_a_page_damaged_mid_file_is_left_out_of_the_spark_run_and_reported(
    world: World2025, spark_engine: SparkEngine, tmp_path: Path
) -> None:
    """The archive verifies the page checksums of a file changed since compaction before listing it
    for any engine, so Spark too gets every file but the damaged one, which the report names."""
    copy = tmp_path / "archive"
    shutil.copytree(world.archive.path(), copy)
    archive = Archive(str(copy), buckets=BUCKETS)
    victim = Path(next(iter(archive.event_files_by_bucket(date(2025, 1, 3), date(2025, 1, 4)).values()))[0])
    meta = pq.read_metadata(victim)
    ts = meta.row_group(0).column(meta.schema.names.index("ts"))
    data = bytearray(victim.read_bytes())
    data[ts.data_page_offset + ts.total_compressed_size // 2] ^= 0x10
    victim.write_bytes(bytes(data))
    job = WrappedJob(archive, world.stores["spark"], YEAR, spark_engine)
    archive.remove_tree(job.stage_dir)  # the copy holds the finished run's stages: start over
    report = job.run()
    assert list(report.damaged) == [str(victim)]
    assert "checksum" in report.damaged[str(victim)].lower()
    assert report.listeners > 50


def test_a_page_rotted_in_place_fails_the_spark_run_on_its_checksum(
    world: World2025, spark_engine: SparkEngine, tmp_path: Path
) -> None:
    """Bytes that rot with size and mtime unchanged pass the listing (the file is as recorded), so
    Spark's own page-checksum verification is what stops the run instead of reading other numbers."""
    copy = tmp_path / "archive"
    shutil.copytree(world.archive.path(), copy)
    archive = Archive(str(copy), buckets=BUCKETS)
    assert archive.verify() == {}  # every file recorded as sound (copytree changed their mtimes)
    victim = Path(next(iter(archive.event_files_by_bucket(date(2025, 1, 3), date(2025, 1, 4)).values()))[0])
    stat = victim.stat()
    meta = pq.read_metadata(victim)
    ts = meta.row_group(0).column(meta.schema.names.index("ts"))
    data = bytearray(victim.read_bytes())
    data[ts.data_page_offset + ts.total_compressed_size // 2] ^= 0x10
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    job = WrappedJob(archive, world.stores["spark"], YEAR, spark_engine)
    archive.remove_tree(job.stage_dir)
    with pytest.raises(Exception, match=r"(?i)checksum") as raised:
        job.run()
    assert victim.name in str(raised.value)
