"""The Sort-Merge-Bucket archive: layout, sort order, idempotent writes, crash leftovers, fsspec URLs."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import mmh3
import pyarrow.parquet as pq
import pytest

from tastemaker.errors import ConfigError
from tastemaker.events.schema import Play, Skip, TrackAdded
from tastemaker.storage.archive import Archive
from tastemaker.storage.archive_layout import bucket_of, check_bucket_count

T0 = datetime(2025, 3, 1, 22, 0, tzinfo=UTC)


def plays(users: int, per_user: int, *, start: datetime = T0, prefix: str = "e") -> list[Play | Skip]:
    events: list[Play | Skip] = []
    for i in range(per_user):
        for u in range(users):
            ts = start + timedelta(minutes=7 * i + u)
            cls = Skip if i % 5 == 4 else Play
            events.append(
                cls(
                    user_id=f"user{u}",
                    ts=ts,
                    event_id=f"{prefix}-{u}-{i}",
                    track_id=f"t{(u + i) % 7}",
                    ms_played=30_000 + i,
                    extra={"client": "test", "n": i},
                )
            )
    return events


def test_bucket_is_murmur3_of_the_user_mod_the_count() -> None:
    assert bucket_of("alice", 16) == mmh3.hash(b"alice", 0, signed=False) % 16
    assert check_bucket_count(64) == 64
    for bad in (0, 3, 12, 1 << 17):
        with pytest.raises(ConfigError, match="power of two"):
            check_bucket_count(bad)


def test_compacted_days_are_bucketed_sorted_and_described(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path), buckets=4)
    events = plays(users=20, per_user=30)
    archive.append(events[::-1])  # arrival order must not matter
    assert archive.days() == [] and archive.staged_days() == [date(2025, 3, 1), date(2025, 3, 2)]
    assert archive.compact() == 2
    assert archive.staged_days() == []
    assert not list((tmp_path / "events" / "_staging").rglob("*.parquet"))
    for day in archive.days():
        folder = tmp_path / "events" / f"date={day.isoformat()}"
        meta = json.loads((folder / "metadata.json").read_text())
        assert meta["numBuckets"] == 4 and meta["hashType"] == "MURMUR3_32" and meta["keyField"] == "user_id"
        assert meta["sortFields"] == ["user_id", "ts", "event_id"]
        total = 0
        for path in sorted(folder.glob("bucket-*.parquet")):
            bucket = int(path.name[7:12])
            assert path.name.endswith("-of-00004.parquet")
            rows = pq.read_table(path).to_pylist()
            total += len(rows)
            assert all(bucket_of(r["user_id"], 4) == bucket for r in rows)
            keys = [(r["user_id"], r["ts"], r["event_id"]) for r in rows]
            assert keys == sorted(keys)
            assert all(r["ts"].date() == day for r in rows)
        assert total == meta["rows"]
    table = archive.read_events(date(2025, 1, 1), date(2026, 1, 1))
    assert table.num_rows == len(events)
    row = next(r for r in table.to_pylist() if r["event_id"] == "e-3-4")
    assert row["type"] == "skip" and row["ms_played"] == 30_004 and row["track_id"] == "t0"
    assert json.loads(row["payload"])["extra"] == {"client": "test", "n": 4}  # nothing is lost


def test_a_batch_delivered_again_or_grown_is_stored_once(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path), buckets=2)
    events = plays(users=5, per_user=10)
    archive.append(events[:30])
    archive.append(events[:30])  # the same batch re-delivered: same run file
    archive.compact()
    archive.append(events[:40])  # re-delivered after more arrived, after a compaction
    archive.append(events[40:])
    archive.compact()
    ids = archive.read_events(date(2025, 1, 1), date(2026, 1, 1)).column("event_id").to_pylist()
    assert sorted(ids) == sorted(e.event_id for e in events)


def test_a_compaction_rewrites_only_the_buckets_its_runs_touch(tmp_path: Path) -> None:
    """Compaction merges bucket by bucket, so memory holds one bucket of the day, not the whole day."""
    archive = Archive(str(tmp_path), buckets=8)
    first = plays(users=40, per_user=3, start=T0 - timedelta(hours=10))
    archive.append(first)
    archive.compact()
    folder = tmp_path / "events" / "date=2025-03-01"
    before = {path.name: path.stat().st_mtime_ns for path in folder.glob("bucket-*.parquet")}
    assert len(before) == 8
    late = plays(users=1, per_user=4, start=T0 - timedelta(hours=9), prefix="late")
    archive.append(late)  # one user: one bucket
    archive.compact()
    after = {path.name: path.stat().st_mtime_ns for path in folder.glob("bucket-*.parquet")}
    changed = [name for name in after if after[name] != before[name]]
    assert changed == [f"bucket-{bucket_of('user0', 8):05d}-of-00008.parquet"]
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["rows"] == len(first) + len(late)
    table = archive.read_events(date(2025, 1, 1), date(2026, 1, 1))
    assert sorted(table.column("event_id").to_pylist()) == sorted(e.event_id for e in first + late)
    rows = pq.read_table(folder / changed[0]).to_pylist()
    keys = [(r["user_id"], r["ts"], r["event_id"]) for r in rows]
    assert keys == sorted(keys)  # the merged bucket is sorted again


def test_leftovers_of_a_crash_mid_compaction_are_folded_in_without_duplicates(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path), buckets=2)
    events = plays(users=6, per_user=8)
    archive.append(events)
    staged = {p: p.read_bytes() for p in (tmp_path / "events" / "_staging").rglob("*.parquet")}
    archive.compact()
    for path, data in staged.items():  # as if the process died after writing buckets, before deleting runs
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (tmp_path / "events" / "date=2025-03-01" / "bucket-00000-of-00002.parquet.123.tmp").write_bytes(b"junk")
    reopened = Archive(str(tmp_path), buckets=2)
    assert reopened.staged_days()
    reopened.compact()
    assert reopened.read_events(date(2025, 1, 1), date(2026, 1, 1)).num_rows == len(events)


def test_days_due_compact_busy_days_and_days_left_behind(tmp_path: Path) -> None:
    archive = Archive(str(tmp_path), buckets=2, compact_runs=3)
    morning = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
    archive.append(plays(users=2, per_user=1, start=morning - timedelta(days=5), prefix="old"))
    archive.append(plays(users=2, per_user=1, start=morning - timedelta(days=1), prefix="yesterday"))
    for n in range(2):
        archive.append(plays(users=2, per_user=1, start=morning + timedelta(hours=n), prefix=f"b{n}"))
    assert archive.days_due() == [date(2025, 2, 25)]  # left behind; today has 2 runs of 3
    archive.append(plays(users=2, per_user=1, start=morning + timedelta(hours=5), prefix="c"))
    assert archive.days_due() == [date(2025, 2, 25), date(2025, 3, 2)]
    archive.compact(archive.days_due())
    assert archive.staged_days() == [date(2025, 3, 1)]
    assert archive.read_events(date(2025, 1, 1), date(2026, 1, 1)).num_rows == 8


def test_a_new_bucket_count_needs_a_rebucket_before_jobs_read(tmp_path: Path) -> None:
    Archive(str(tmp_path), buckets=2).append(plays(users=8, per_user=3))
    Archive(str(tmp_path), buckets=2).compact()
    wider = Archive(str(tmp_path), buckets=8)
    with pytest.raises(ConfigError, match="--rebucket"):
        wider.event_files_by_bucket(date(2025, 1, 1), date(2026, 1, 1))
    assert wider.compact(rebucket=True) == 1
    files = wider.event_files_by_bucket(date(2025, 1, 1), date(2026, 1, 1))
    assert all(path.endswith("-of-00008.parquet") for paths in files.values() for path in paths)
    assert wider.read_events(date(2025, 1, 1), date(2026, 1, 1)).num_rows == 24


def test_dimensions_are_bucketed_by_their_own_key(tmp_path: Path) -> None:
    import pyarrow as pa

    archive = Archive(str(tmp_path), buckets=4)
    table = pa.table({"track_id": [f"t{i}" for i in range(50)], "name": [f"n{i}" for i in range(50)]})
    assert archive.write_dimension("tracks", table, "track_id") == 50
    assert archive.dimension_rows("tracks") == 50
    seen = 0
    for path in archive.dimension_files("tracks"):
        rows = pq.read_table(path).to_pylist()
        bucket = int(Path(path).name[7:12])
        assert all(bucket_of(r["track_id"], 4) == bucket for r in rows)
        assert [r["track_id"] for r in rows] == sorted(r["track_id"] for r in rows)
        seen += len(rows)
    assert seen == 50


def test_any_fsspec_url_works(tmp_path: Path) -> None:
    url = f"memory://tastemaker-test-{uuid.uuid4().hex}"
    archive = Archive(url, buckets=2)
    events = plays(users=3, per_user=4)
    catalog = TrackAdded(
        user_id="catalog", ts=T0, event_id="added", track_id="t1", track_name="x", artist_name="y"
    )
    archive.append([*events, catalog])
    archive.compact()
    assert archive.read_events(date(2025, 1, 1), date(2026, 1, 1)).num_rows == len(events) + 1
    assert all(
        path.startswith("memory://")
        for paths in archive.event_files_by_bucket(date(2025, 1, 1), date(2026, 1, 1)).values()
        for path in paths
    )
    archive.remove_tree("events")
    assert archive.days() == []
