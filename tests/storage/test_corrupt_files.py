"""Damaged files: a truncated or overwritten SQLite store or log, and a damaged Parquet file in the
archive, are detected with a message that names the file and what to do; the archive serves the rest."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
import pyarrow.parquet as pq
import pytest

from tastemaker.config import Config
from tastemaker.engines.duckdb_engine import DuckDBEngine
from tastemaker.errors import BackendUnavailable
from tastemaker.events.schema import Play
from tastemaker.platform import Platform
from tastemaker.storage.archive import DAMAGED_SUFFIX, Archive, DamagedFile
from tastemaker.storage.archive_layout import bucket_of, parse_bucket_file
from tastemaker.wrapped.job import WrappedJob
from tests.wrapped.world import ArchivedWorld, archived_world

YEAR = 2025


def filled(folder: Path) -> Path:
    config = Config.load({"data_dir": str(folder), "log_synchronous": "NORMAL"}, env={})
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with Platform.open(config) as platform:
        platform.event_log.append(
            [
                Play(user_id=f"u{i % 9}", ts=start + timedelta(minutes=i), event_id=f"e{i}", track_id="t")
                for i in range(4000)
            ]
        )
        platform.drain()
    return folder


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 3])
    else:  # the header overwritten, as a stray write would
        path.write_bytes(b"\x13" * 100 + data[100:])
    for wal in path.parent.glob(path.name + "-*"):
        wal.unlink()


@pytest.mark.parametrize("how", ["truncated", "overwritten"])
@pytest.mark.parametrize(
    ("name", "what", "advice"), [("events.db", "event log", "backup"), ("store.db", "SQLite store", "backup")]
)
def test_damaged_sqlite_file_is_named_at_open(
    tmp_path: Path, how: str, name: str, what: str, advice: str
) -> None:
    folder = filled(tmp_path / "data")
    damage(folder / name, how)
    config = Config.load({"data_dir": str(folder)}, env={})
    with pytest.raises(BackendUnavailable) as raised:
        Platform.open(config).close()
    message = str(raised.value)
    assert f"{what} {folder / name}" in message
    assert advice in message
    assert "disk is not full" not in message  # not the generic I/O hint: the file itself is bad


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArchivedWorld]:
    built = archived_world(tmp_path_factory.mktemp("corrupt"), users=24, tracks=300, days=45, buckets=4)
    yield built
    built.store.close()


def listeners(world: ArchivedWorld) -> int:
    job = WrappedJob(world.archive, world.store, YEAR, DuckDBEngine())
    job.archive.remove_tree(job.stage_dir)
    return job.run().listeners


def test_damaged_parquet_file_is_left_out_and_reported(world: ArchivedWorld, tmp_path: Path) -> None:
    whole = listeners(world)
    copy = tmp_path / "archive"
    shutil.copytree(world.archive.path(), copy)
    archive = Archive(str(copy), buckets=world.archive.buckets)
    files = archive.event_files_by_bucket(date(2025, 1, 1), date(2026, 1, 1))
    victim = Path(files[2][0])
    victim.write_bytes(victim.read_bytes()[:-200])  # the footer gone: a write cut short

    kept = archive.event_files_by_bucket(date(2025, 1, 1), date(2026, 1, 1))
    assert str(victim) not in kept[2]
    assert sum(map(len, kept.values())) == sum(map(len, files.values())) - 1
    assert list(archive.damaged) == [str(victim)]
    assert "restore it from a backup" in archive.damaged[str(victim)]
    assert "tastemaker archive rebuild" in archive.damaged[str(victim)]

    job = WrappedJob(archive, world.store, YEAR, DuckDBEngine())
    report = job.run()
    assert 0 < report.listeners <= whole  # every other file served; the bucket's other days too
    recap = world.store.get_recap(next(iter(sorted(_users(world)))), YEAR)
    assert recap is not None and msgspec.json.decode(recap)


def _users(world: ArchivedWorld) -> set[str]:
    return {e.user_id for e in world.events if isinstance(e, Play) and e.ts.year == YEAR}


def test_compaction_sets_a_damaged_bucket_file_aside(world: ArchivedWorld, tmp_path: Path) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(world.archive.path(), copy)
    archive = Archive(str(copy), buckets=world.archive.buckets)
    day = archive.days()[3]
    victim = Path(archive.event_files_by_bucket(day, day + timedelta(days=1))[1][0])
    lost = set(pq.read_table(victim, columns=["event_id"]).column("event_id").to_pylist())
    whole = archive.read_events(day, day + timedelta(days=1)).num_rows
    with victim.open("r+b") as f:  # bytes overwritten in the middle: the footer still reads
        f.seek(victim.stat().st_size // 3)
        f.write(b"\xff" * 64)
    with pytest.raises(DamagedFile, match=str(victim)):  # read directly: named
        archive._read_table(str(victim))
    kept = archive.read_events(day, day + timedelta(days=1))  # listed for a job: left out, reported
    assert lost and kept.num_rows == whole - len(lost)
    assert not lost & set(kept.column("event_id").to_pylist())
    assert str(victim) in archive.damaged

    # a late event in the damaged file's bucket: compaction (bucket by bucket) has to read that file
    parsed = parse_bucket_file(victim.name)
    assert parsed is not None
    user = next(f"late{n}" for n in range(1000) if bucket_of(f"late{n}", parsed[1]) == parsed[0])
    late = Play(
        user_id=user, ts=datetime.combine(day, datetime.min.time(), UTC), event_id="late", track_id="t"
    )
    archive.append([late])
    assert archive.compact([day]) == 1  # not stuck on the damaged file
    assert Path(str(victim) + DAMAGED_SUFFIX).exists()
    assert str(victim) in archive.damaged
    events = archive.read_events(day, day + timedelta(days=1))
    assert "late" in events.column("event_id").to_pylist()


def test_a_page_damaged_mid_file_is_left_out_of_wrapped_and_reported(
    world: ArchivedWorld, tmp_path: Path
) -> None:
    """DuckDB's Parquet reader checks no page checksums: the archive verifies a file that is not as
    compaction wrote it before listing it for a job, so a flipped byte is a reported, left-out file,
    not other numbers."""
    whole = listeners(world)
    copy = tmp_path / "archive"
    shutil.copytree(world.archive.path(), copy)
    archive = Archive(str(copy), buckets=world.archive.buckets)
    day = next(d for d in archive.days() if d.year == YEAR)
    victim = Path(next(iter(archive.event_files_by_bucket(day, day + timedelta(days=1)).values()))[0])
    meta = pq.read_metadata(victim)
    ts = meta.row_group(0).column(meta.schema.names.index("ts"))
    data = bytearray(victim.read_bytes())
    data[ts.data_page_offset + ts.total_compressed_size // 2] ^= 0x10
    victim.write_bytes(bytes(data))
    pq.read_metadata(victim)  # the footer still reads: only the page checksums can tell

    job = WrappedJob(archive, world.store, YEAR, DuckDBEngine())
    archive.remove_tree(job.stage_dir)  # the copy holds the finished run's stages: start over
    report = job.run()
    assert list(report.damaged) == [str(victim)]
    assert "restore it from a backup" in report.damaged[str(victim)]
    assert 0 < report.listeners <= whole
