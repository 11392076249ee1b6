"""A busy day's buckets grow in bounded shards, are sealed into one file once the day is behind, and a
crash at any step leaves each event readable exactly once; page checksums catch damage mid-file."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tastemaker.cli import cli
from tastemaker.errors import ConfigError
from tastemaker.events.schema import Play
from tastemaker.storage.archive import Archive, DamagedFile
from tastemaker.storage.archive_layout import parse_bucket_file
from tastemaker.storage.archive_shards import SUPERSEDES

DAY = date(2025, 6, 1)
NOON = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def batch(n: int, start: int, *, users: int = 12) -> list[Play]:
    """``n`` plays in time order from event number ``start`` on, spread over ``users``."""
    return [
        Play(
            user_id=f"user{i % users}",
            ts=NOON + timedelta(seconds=i),
            event_id=f"e{i}",
            track_id=f"t{i % 31}",
            ms_played=30_000,
        )
        for i in range(start, start + n)
    ]


def day_files(archive: Archive, day: date = DAY) -> dict[str, Path]:
    folder = Path(archive.day_dir(day))
    return {p.name: p for p in folder.glob("bucket-*.parquet")}


def event_ids(archive: Archive, day: date = DAY) -> Counter[str]:
    table = archive.read_events(day, day + timedelta(days=1))
    return Counter(table.column("event_id").to_pylist())


def fill(archive: Archive, batches: int, size: int) -> None:
    for k in range(batches):
        archive.append(batch(size, k * size))
        archive.compact([DAY])


def test_a_busy_day_grows_in_shards_and_compaction_leaves_closed_shards_alone(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path), buckets=2, shard_rows=100)
    fill(archive, batches=6, size=120)  # 50-99 rows a bucket a compaction: a shard is full after two
    files = day_files(archive)
    shards = {parse_bucket_file(name) for name in files}
    assert {s.shard for s in shards if s} == {0, 1, 2}
    assert event_ids(archive) == Counter({f"e{i}": 1 for i in range(720)})
    for path in files.values():  # every shard sorted on its own
        table = pq.read_table(path)
        keys = list(zip(table.column("user_id").to_pylist(), table.column("ts").to_pylist(), strict=True))
        assert keys == sorted(keys) and table.num_rows < 200
    meta = json.loads((Path(archive.day_dir(DAY)) / "metadata.json").read_text())
    assert meta["numShards"] == 3 and meta["rows"] == 720

    closed = {
        name: (p.stat().st_ino, p.stat().st_mtime_ns)
        for name, p in files.items()
        if "shard-00002" not in name
    }
    fill_more = batch(120, 720)
    archive.append(fill_more)
    archive.compact([DAY])
    after = day_files(archive)
    for name, stamp in closed.items():  # a compaction touches only the open shards
        assert (after[name].stat().st_ino, after[name].stat().st_mtime_ns) == stamp
    assert sum(event_ids(archive).values()) == 840


def test_a_redelivered_batch_is_not_archived_twice_once_its_shard_is_closed(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path), buckets=2, shard_rows=100)
    fill(archive, batches=4, size=120)
    # the consumer crashed after compacting and before committing: the batch comes back, grown
    archive.append(batch(120 + 40, 3 * 120))
    archive.compact([DAY])
    archive.append(batch(240, 0))  # and a replay from the start of the day
    archive.compact([DAY])
    counts = event_ids(archive)
    assert set(counts.values()) == {1} and len(counts) == 520


def test_a_day_left_behind_is_sealed_into_one_file_per_bucket(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path), buckets=2, shard_rows=100)
    fill(archive, batches=5, size=120)
    before = event_ids(archive)
    assert len(day_files(archive)) > 2
    later = NOON + timedelta(days=2)
    archive.append([Play(user_id="user1", ts=later, event_id="next", track_id="t1")])
    archive.compact()  # the day is two days behind the newest: sealed
    assert sorted(day_files(archive)) == ["bucket-00000-of-00002.parquet", "bucket-00001-of-00002.parquet"]
    assert event_ids(archive) == before
    for path in day_files(archive).values():
        assert pq.read_metadata(path).metadata[SUPERSEDES] == b"2"
        table = pq.read_table(path)
        keys = list(zip(table.column("user_id").to_pylist(), table.column("ts").to_pylist(), strict=True))
        assert keys == sorted(keys)
    meta = json.loads((Path(archive.day_dir(DAY)) / "metadata.json").read_text())
    assert meta["numShards"] == 1 and meta["rows"] == 600

    archive.append(batch(30, 5000))  # late events for the sealed day: merged, marker kept
    archive.compact([DAY])
    assert len(day_files(archive)) == 2
    assert sum(event_ids(archive).values()) == 630


def test_an_interrupted_seal_leaves_every_event_once_and_the_next_compaction_tidies(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path), buckets=2, shard_rows=100)
    fill(archive, batches=5, size=120)
    before = event_ids(archive)
    kept = tmp_path.parent / f"{tmp_path.name}-shards"
    kept.mkdir()
    for name, path in day_files(archive).items():
        if "shard" in name:
            shutil.copy(path, kept / name)
    assert archive.compact([DAY], seal=True) == 1
    for path in kept.iterdir():  # the crash: shard 0 rewritten, the shards not yet deleted
        shutil.copy(path, Path(archive.day_dir(DAY)) / path.name)

    assert event_ids(archive) == before  # readers skip what shard 0 already holds
    archive.append(batch(120, 600))
    archive.compact([DAY])
    names = sorted(day_files(archive))
    assert not any(name.endswith(("shard-00001.parquet", "shard-00002.parquet")) for name in names)
    assert any(name.endswith("shard-00003.parquet") for name in names)  # numbered past the seal
    assert event_ids(archive) == before + Counter({f"e{i}": 1 for i in range(600, 720)})


def test_the_wrapped_compaction_seals_every_day(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path), buckets=2, shard_rows=100)
    fill(archive, batches=5, size=120)
    assert archive.days_to_compact(seal=True) == {DAY}
    assert archive.compact(seal=True) == 1
    assert len(day_files(archive)) == 2
    assert archive.days_to_compact(seal=True) == set()


def test_shard_rows_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="archive_shard_rows"):
        Archive(str(tmp_path), shard_rows=0)


def test_any_byte_changed_inside_a_page_is_caught_by_its_checksum(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path), buckets=1)
    archive.append(batch(2000, 0))
    archive.compact([DAY])
    (path,) = day_files(archive).values()
    meta = pq.read_metadata(path)
    pristine = path.read_bytes()
    column = meta.row_group(0).column(0)  # event_id: its first data page
    start = column.data_page_offset
    offsets = range(start + 40, start + column.total_compressed_size - 8, 97)
    assert len(offsets) > 5
    for offset in offsets:
        damaged = bytearray(pristine)
        damaged[offset] ^= 0x01
        path.write_bytes(bytes(damaged))
        with pytest.raises(DamagedFile, match=path.name):  # read directly: named
            archive._read_table(str(path))
        listing = Archive(str(tmp_path), buckets=1)  # listed for a job: left out and reported
        assert listing.read_events(DAY, DAY + timedelta(days=1)).num_rows == 0
        assert list(listing.damaged) == [str(path)]
    path.write_bytes(pristine)
    assert sum(event_ids(Archive(str(tmp_path), buckets=1)).values()) == 2000


def counting_reads(archive: Archive) -> list[str]:
    """The paths ``archive`` reads whole from now on."""
    reads: list[str] = []
    original = archive._read_table

    def read(path: str) -> pa.Table:
        reads.append(path)
        return original(path)

    archive._read_table = read  # type: ignore[method-assign]
    return reads


def test_a_file_as_compaction_wrote_it_is_trusted_and_any_other_verified(tmp_path: Path) -> None:
    """The engines' readers verify no checksums, so listing verifies every file metadata.json does
    not record as written (changed since, or written just before a crash); recorded ones are not read."""
    archive = Archive(str(tmp_path), buckets=2)
    archive.append(batch(400, 0))
    archive.compact([DAY])
    meta = json.loads((Path(archive.day_dir(DAY)) / "metadata.json").read_text())
    assert sorted(meta["written"]) == sorted(day_files(archive))
    for name, (size, mtime_ns) in meta["written"].items():
        stat = day_files(archive)[name].stat()
        assert (stat.st_size, stat.st_mtime_ns) == (size, mtime_ns)

    listing = Archive(str(tmp_path), buckets=2)
    reads = counting_reads(listing)
    assert sum(map(len, listing.event_files_by_bucket(DAY, DAY + timedelta(days=1)).values())) == 2
    assert reads == []  # footers only

    touched = next(iter(day_files(archive).values()))
    touched.write_bytes(touched.read_bytes())  # same bytes, a new mtime: no longer as written
    listing = Archive(str(tmp_path), buckets=2)
    reads = counting_reads(listing)
    assert sum(map(len, listing.event_files_by_bucket(DAY, DAY + timedelta(days=1)).values())) == 2
    assert reads == [str(touched)] and not listing.damaged


def test_archive_verify_records_good_files_and_names_damaged_ones(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    archive = Archive(str(data_dir / "archive"), buckets=16)
    archive.append(batch(600, 0))
    archive.compact([DAY])
    meta_path = Path(archive.day_dir(DAY)) / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["written"] = {}  # an archive from before the record existed
    meta_path.write_text(json.dumps(meta))

    ok = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "archive", "verify", "--no-progress"], obj={})
    assert ok.exit_code == 0, ok.output
    assert "verified 1 day(s); 0 damaged file(s)" in ok.output
    assert sorted(json.loads(meta_path.read_text())["written"]) == sorted(day_files(archive))

    victim = sorted(day_files(archive).values())[0]
    stat = victim.stat()
    data = bytearray(victim.read_bytes())
    data[len(data) // 3] ^= 0x01
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # rot in place: size and mtime as recorded
    trusting = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "archive", "verify", "--no-progress"], obj={}
    )
    assert trusting.exit_code == 0, trusting.output  # recorded files are not read again by default
    bad = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "archive", "verify", "--all", "--no-progress"], obj={}
    )
    assert bad.exit_code == 1
    assert f"damaged: archive file {victim} is damaged" in bad.output
    assert victim.name not in json.loads(meta_path.read_text())["written"]
