"""The simulated archive the Wrapped benchmarks run on: N events of one year, cached on disk.

A data set is ``benchmarks/.cache/wrapped-v{VERSION}-n{N}-s{seed}/`` (git-ignored) holding:

* ``archive/``: the Sort-Merge-Bucket Parquet archive of every simulated event from 2024-12-04 to
  2025-12-31 (four weeks of history before the year, so "new artists" has something to join), with
  M buckets chosen so that one bucket holds about 1–2 M events (10 M → 8, 30 M → 16, 100 M → 64),
  and the exported dimensions (tracks, artists, users);
* ``store.db``: a SQLite store with the catalog (from the simulator's ``track_added`` events); the
  benchmark copies it per run, so that each run writes its recaps into a fresh store;
* ``meta.json``: the plan and the generation timings, written last (a folder without it is
  incomplete and is rebuilt).

Generation uses two processes (listeners ``k, k + 2, …`` each, ``shard=(k, 2)``), each appending
batches of staged runs to the same archive (runs have unique names); then two processes compact
disjoint days. The archive-write throughput is measured apart (``write_throughput``), on a slice of
pre-generated events in a single process, so that the simulator's own time is not in it.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks._harness import log
from tastemaker.events.schema import Event, TrackAdded
from tastemaker.services.archiver import track_from_added
from tastemaker.simulate.stream import events
from tastemaker.simulate.world import World
from tastemaker.storage.archive import Archive
from tastemaker.storage.models import Artist
from tastemaker.storage.sqlite_store import SQLiteStore
from tastemaker.wrapped.dimensions import export_dimensions

VERSION = 1
CACHE = Path(__file__).resolve().parent / ".cache"
YEAR = 2025
HISTORY_DAYS = 28
START = date(YEAR - 1, 12, 31 - HISTORY_DAYS + 1)  # 2024-12-04: four weeks of history
DAYS = HISTORY_DAYS + 365
EVENTS_PER_USER_DAY = 16.3
"""What the simulator generates per listener and day (measured: plays 76 %, skips 18 %, the rest
likes, playlists, searches, follows), so about 6,000 events per listener-year."""
EVENTS_PER_BUCKET = 2_000_000
BATCH = 100_000
WORKERS = 2
WRITE_SLICE = 2_000_000
ISSUE_EVENTS = 100_000_000


@dataclass(frozen=True)
class Plan:
    events: int
    """The target number of events (the simulator's count is close to it, not equal)."""
    seed: int
    users: int
    tracks: int
    buckets: int

    @classmethod
    def of(cls, events: int, seed: int) -> Plan:
        users = max(50, round(events / (EVENTS_PER_USER_DAY * DAYS)))
        tracks = max(5_000, events // 500)
        buckets = max(4, 1 << max(0, math.ceil(math.log2(max(1.0, events / EVENTS_PER_BUCKET)))))
        return cls(events=events, seed=seed, users=users, tracks=tracks, buckets=buckets)

    @property
    def name(self) -> str:
        return f"wrapped-v{VERSION}-n{self.events}-s{self.seed}"


@dataclass(frozen=True)
class DataSet:
    plan: Plan
    folder: Path
    meta: dict[str, Any]

    @property
    def archive_url(self) -> str:
        return str(self.folder / "archive")

    @property
    def store_path(self) -> Path:
        return self.folder / "store.db"

    @property
    def rows(self) -> int:
        """Events in the archive (history included)."""
        return int(self.meta["archive_rows"])

    @property
    def year_rows(self) -> int:
        return int(self.meta["year_rows"])

    def archive(self) -> Archive:
        return Archive(self.archive_url, buckets=self.plan.buckets)


def parse_size(text: str) -> int:
    """``10M``, ``300k``, ``1.5M`` or a plain number."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}.get(text[-1:], 1)
    return round(float(text[:-1] if scale > 1 else text) * scale)


def size_label(events: int) -> str:
    return f"{events / 1e6:g}M" if events >= 1_000_000 else f"{events / 1e3:g}k"


def dataset(events: int, *, seed: int = 1, cache: Path = CACHE) -> DataSet:
    """The cached data set of ``events`` events, generated first when it is missing or incomplete."""
    plan = Plan.of(events, seed)
    folder = cache / plan.name
    meta_path = folder / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        log(f"{plan.name}: cached ({meta['archive_rows']:,} events, M = {plan.buckets})")
        return DataSet(plan, folder, meta)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    meta = generate(plan, folder)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return DataSet(plan, folder, meta)


def generate(plan: Plan, folder: Path) -> dict[str, Any]:
    log(
        f"{plan.name}: generating ~{plan.events:,} events: {plan.users:,} users × {plan.tracks:,} tracks × "
        f"{DAYS} days from {START}, M = {plan.buckets}, {WORKERS} processes"
    )
    archive_url = str(folder / "archive")
    timings: dict[str, Any] = {}
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        futures = [pool.submit(_write_shard, archive_url, asdict(plan), (k, WORKERS)) for k in range(WORKERS)]
        shards = [f.result() for f in futures]
    timings["simulate_and_append_wall_s"] = time.perf_counter() - started
    timings["shards"] = shards
    appended = sum(int(s["events"]) for s in shards)
    log(f"appended {appended:,} events in {timings['simulate_and_append_wall_s']:.0f} s; compacting")
    archive = Archive(archive_url, buckets=plan.buckets)
    started = time.perf_counter()
    staged = archive.staged_days()
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        compactions = [
            pool.submit(_compact_days, archive_url, plan.buckets, staged[k::WORKERS]) for k in range(WORKERS)
        ]
        days = sum(f.result() for f in compactions)
    timings["compact_s"] = time.perf_counter() - started
    log(f"compacted {days} days in {timings['compact_s']:.0f} s; filling the store and exporting dimensions")
    started = time.perf_counter()
    store = SQLiteStore.from_url(f"sqlite:///{folder / 'store.db'}")
    world = World.build(seed=plan.seed, users=plan.users, tracks=plan.tracks, start=START, days=DAYS)
    tracks = [track_from_added(e) for e in events(world, part="catalog") if isinstance(e, TrackAdded)]
    store.put_tracks(tracks)
    artists = {
        t.artist_id: Artist(artist_id=t.artist_id, name=t.artist_name or t.artist_id, genres=t.genres)
        for t in tracks
        if t.artist_id
    }
    store.put_artists(list(artists.values()))
    timings["store_s"] = time.perf_counter() - started
    started = time.perf_counter()
    dimensions = export_dimensions(archive, store, end=date(YEAR + 1, 1, 1))
    timings["dimensions_s"] = time.perf_counter() - started
    store.close()
    rows = sum(archive.metadata(archive.day_dir(d)).rows for d in archive.days())
    year_rows = sum(archive.metadata(archive.day_dir(d)).rows for d in archive.days() if d.year == YEAR)
    disk = sum(p.stat().st_size for p in (folder / "archive").rglob("*") if p.is_file())
    log(f"{rows:,} events ({year_rows:,} in {YEAR}), {disk / 1e9:.2f} GB; dimensions {dimensions}")
    return {
        "plan": asdict(plan),
        "archive_rows": rows,
        "year_rows": year_rows,
        "appended": appended,
        "disk_bytes": disk,
        "dimensions": dimensions,
        "timings": timings,
    }


def _compact_days(archive_url: str, buckets: int, days: list[date]) -> int:
    """Compact ``days`` (staged runs to bucket files) in this process. Data preparation only: two
    processes compact disjoint days at once, which ``Archive.compact``'s lock would serialise."""
    archive = Archive(archive_url, buckets=buckets)
    for day in days:
        archive._compact_day(day)
    return len(days)


def _write_shard(archive_url: str, plan_fields: dict[str, Any], shard: tuple[int, int]) -> dict[str, float]:
    """One generating process: simulate listeners ``shard`` and append them in batches."""
    plan = Plan(**plan_fields)
    archive = Archive(archive_url, buckets=plan.buckets)
    world = World.build(seed=plan.seed, users=plan.users, tracks=plan.tracks, start=START, days=DAYS)
    stream = events(world, shard=shard)
    simulate_s = append_s = 0.0
    count = 0
    while True:
        started = time.perf_counter()
        batch: list[Event] = []
        for event in stream:
            batch.append(event)
            if len(batch) >= BATCH:
                break
        simulate_s += time.perf_counter() - started
        if not batch:
            break
        started = time.perf_counter()
        count += archive.append(batch)
        append_s += time.perf_counter() - started
    return {"events": count, "simulate_s": simulate_s, "append_s": append_s}


def write_throughput(
    *, slice_events: int = WRITE_SLICE, seed: int = 1, cache: Path = CACHE
) -> dict[str, float]:
    """Archive-write throughput (``append`` in batches of ``BATCH``, then ``compact``) of
    ``slice_events`` pre-generated events, in one fresh process, at the issue's density (the
    100 M plan: its users, tracks and M, so about 250k events a day); cached like the data sets."""
    plan = Plan.of(ISSUE_EVENTS, seed)
    path = cache / f"write-v{VERSION}-n{slice_events}-s{seed}.json"
    if path.exists():
        cached: dict[str, float] = json.loads(path.read_text())
        log(f"archive write: cached ({path.name})")
        return cached
    cache.mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        result: dict[str, float] = pool.submit(_measure_write, asdict(plan), slice_events).result()
    path.write_text(json.dumps(result, indent=2) + "\n")
    log(
        f"archive write: {result['events']:,.0f} events, append {result['append_eps']:,.0f}/s, "
        f"compact {result['compact_eps']:,.0f}/s, together {result['write_eps']:,.0f}/s"
    )
    return result


def _measure_write(plan_fields: dict[str, Any], slice_events: int) -> dict[str, float]:
    plan = Plan(**plan_fields)
    days = max(1, math.ceil(slice_events / (EVENTS_PER_USER_DAY * plan.users)))
    world = World.build(seed=plan.seed + 1, users=plan.users, tracks=plan.tracks, start=START, days=days)
    pending: list[Event] = []
    started = time.perf_counter()
    for event in events(world, part="listening"):
        pending.append(event)
        if len(pending) >= slice_events:
            break
    simulate_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="tastemaker-wrapped-write-", dir=CACHE) as folder:
        archive = Archive(folder, buckets=plan.buckets)
        started = time.perf_counter()
        for start in range(0, len(pending), BATCH):
            archive.append(pending[start : start + BATCH])
        append_s = time.perf_counter() - started
        started = time.perf_counter()
        archive.compact()
        compact_s = time.perf_counter() - started
    n = len(pending)
    return {
        "events": n,
        "days": days,
        "buckets": plan.buckets,
        "append_s": append_s,
        "compact_s": compact_s,
        "simulate_s": simulate_s,
        "append_eps": n / append_s,
        "compact_eps": n / compact_s,
        "write_eps": n / (append_s + compact_s),
    }
