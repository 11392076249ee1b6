"""The Wrapped job: the year's recap for every listener, bucket by bucket, resumable.

1. **Buckets** — the engine runs every statistic's SQL over one group of buckets at a time (one
   bucket for DuckDB); the rows become each listener's *partial* recap, written with the group's
   artist-minutes histogram as one stage file (``jobs/wrapped-YEAR/``). A group whose file exists is
   skipped, so an interrupted run resumes where it stopped.
2. **Population** — the histograms give every artist's listener count (which artists are "common")
   and, for each top artist, how many listeners played it more; the listeners' axis scores give the
   personality thresholds (medians).
3. **Recaps** — each group's partials are finished with the population numbers and written to the
   Store, one transaction per group.

The stage folder records a fingerprint of what it was computed from (the days and row counts of the
archive, the bucket count, the statistics); a run over different data starts afresh.
"""

from __future__ import annotations

import hashlib
import math
import posixpath
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from tastemaker.engines.base import Engine, JobInput
from tastemaker.storage.archive import Archive
from tastemaker.storage.store import Store
from tastemaker.wrapped import personality as pers
from tastemaker.wrapped.recap import Recap
from tastemaker.wrapped.stats import Partials, all_queries, collect_all
from tastemaker.wrapped.stats._rows import minutes

HISTOGRAM = "top_artists.histogram"
PARTIALS_SCHEMA = pa.schema([("user_id", pa.string()), ("partial", pa.string())])
_decode_partial = msgspec.json.Decoder(dict[str, Any])
_Results = dict[str, pa.Table]


@dataclass
class JobReport:
    year: int
    engine: str
    groups: int = 0
    groups_resumed: int = 0
    listeners: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    damaged: dict[str, str] = field(default_factory=dict)
    """Archive files left out because they could not be read: path -> why (and what to do)."""


@dataclass
class WrappedJob:
    archive: Archive
    store: Store
    year: int
    engine: Engine
    progress: bool = False

    @property
    def stage_dir(self) -> str:
        return f"jobs/wrapped-{self.year}"

    def run(self, *, on_group: Callable[[int], None] | None = None) -> JobReport:
        report = JobReport(year=self.year, engine=self.engine.name)
        job = JobInput(self.archive, date(self.year, 1, 1), date(self.year + 1, 1, 1))
        self._check_fingerprint(job)
        started = time.perf_counter()
        groups = list(self._groups())
        bar = tqdm(
            total=len(groups), unit=" buckets", file=sys.stderr, disable=not self.progress, desc="wrapped"
        )
        todo = [group for group in groups if not self._stage_exists(group)]
        queries = all_queries(self.year)
        workers = max(1, self.engine.parallel_runs())
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wrapped-engine") as pool:
            computed = _ahead(pool, todo, lambda group: self.engine.run(job, queries, group), workers)
            for group in groups:
                if group in todo:
                    self._write_group(*next(computed))
                else:
                    report.groups_resumed += 1
                report.groups += 1
                bar.update(1)
                if on_group is not None:
                    on_group(group[0])
        bar.close()
        report.seconds["buckets"] = time.perf_counter() - started
        started = time.perf_counter()
        population = self._population(groups)
        report.seconds["population"] = time.perf_counter() - started
        started = time.perf_counter()
        report.listeners = self._write_recaps(groups, population)
        report.seconds["recaps"] = time.perf_counter() - started
        report.damaged = dict(self.archive.damaged)
        return report

    # --- stage 1 -------------------------------------------------------------------------------
    def _groups(self) -> Iterator[tuple[int, ...]]:
        buckets = self.archive.buckets
        size = max(1, min(buckets, self.engine.buckets_per_run(buckets)))
        for start in range(0, buckets, size):
            yield tuple(range(start, min(buckets, start + size)))

    def _stage_name(self, group: Sequence[int], kind: str) -> str:
        return posixpath.join(self.stage_dir, f"{kind}-{group[0]:05d}-{group[-1]:05d}.parquet")

    def _stage_exists(self, group: Sequence[int]) -> bool:
        return self.archive.exists(self._stage_name(group, "partials"))

    def _write_group(self, group: Sequence[int], results: Mapping[str, pa.Table]) -> None:
        partials: Partials = {}
        collect_all(results, partials)
        users = sorted(partials)
        encoded = [msgspec.json.encode(partials[u]).decode() for u in users]
        self.archive.write_file(self._stage_name(group, "histogram"), results[HISTOGRAM])
        table = pa.table({"user_id": users, "partial": encoded}, schema=PARTIALS_SCHEMA)
        self.archive.write_file(self._stage_name(group, "partials"), table)  # last: it marks the group done

    def _check_fingerprint(self, job: JobInput) -> None:
        days = [
            (d.isoformat(), self.archive.metadata(self.archive.day_dir(d)).rows) for d in self.archive.days()
        ]
        fingerprint = {
            "days": days,
            "buckets": self.archive.buckets,
            "queries": hashlib.sha1(msgspec.json.encode(all_queries(self.year))).hexdigest(),
            "tracks": self.archive.dimension_rows("tracks"),
        }
        path = posixpath.join(self.stage_dir, "fingerprint.json")
        if self.archive.exists(path) and self.archive.read_bytes(path) == msgspec.json.encode(fingerprint):
            return
        self.archive.remove_tree(self.stage_dir)
        self.archive.write_bytes(path, msgspec.json.encode(fingerprint))

    # --- stage 2 -------------------------------------------------------------------------------
    def _population(self, groups: Sequence[Sequence[int]]) -> Population:
        tables = [self.archive.read_file(self._stage_name(g, "histogram")) for g in groups]
        histogram = (
            pa.concat_tables(tables) if tables else pa.table({"artist_id": [], "minute": [], "listeners": []})
        )
        listeners_table = histogram.group_by("artist_id").aggregate([("listeners", "sum")])
        listeners = dict(
            zip(
                listeners_table.column("artist_id").to_pylist(),
                listeners_table.column("listeners_sum").to_pylist(),
                strict=True,
            )
        )
        common = pers.common_artists(listeners)
        scores: list[dict[str, float]] = []
        top_artists: set[str] = set()
        for group in groups:
            for partial in self._partials(group).values():
                scores.append(pers.axis_scores(partial, common))
                tops = partial.get("top_artists") or []
                if tops:
                    top_artists.add(tops[0]["artist_id"])
        return Population(
            listeners=listeners,
            common=common,
            thresholds=pers.Thresholds.from_scores(scores),
            at_least=_listeners_at_least(histogram, top_artists),
        )

    def _partials(self, group: Sequence[int]) -> dict[str, dict[str, Any]]:
        table = self.archive.read_file(self._stage_name(group, "partials"))
        return {
            u: _decode_partial.decode(p)
            for u, p in zip(
                table.column("user_id").to_pylist(), table.column("partial").to_pylist(), strict=True
            )
        }

    # --- stage 3 -------------------------------------------------------------------------------
    def _write_recaps(self, groups: Sequence[Sequence[int]], population: Population) -> int:
        written = 0
        for group in groups:
            recaps = {u: finish(u, self.year, p, population) for u, p in self._partials(group).items()}
            self.store.put_recaps(self.year, {u: msgspec.json.encode(r) for u, r in recaps.items()})
            written += len(recaps)
        return written


def _ahead(
    pool: ThreadPoolExecutor,
    groups: Sequence[tuple[int, ...]],
    work: Callable[[tuple[int, ...]], _Results],
    in_flight: int = 1,
) -> Iterator[tuple[tuple[int, ...], _Results]]:
    """Each group with its results, in order, the next ``in_flight`` groups already being computed
    while the caller handles this one: the engine works (without the GIL) while Python turns rows
    into partials."""
    futures = deque(pool.submit(work, group) for group in groups[:in_flight])
    for i, group in enumerate(groups):
        results = futures.popleft().result()
        if i + in_flight < len(groups):
            futures.append(pool.submit(work, groups[i + in_flight]))
        yield group, results


@dataclass(frozen=True)
class Population:
    listeners: Mapping[str, int]
    common: frozenset[str]
    thresholds: pers.Thresholds
    at_least: Mapping[tuple[str, int], int]
    """(artist, whole minutes) → listeners of the artist with at least that many minutes."""


def _listeners_at_least(histogram: pa.Table, artists: set[str]) -> dict[tuple[str, int], int]:
    """For the artists asked for, a suffix sum of the minutes histogram (merged across groups)."""
    mask = pc.is_in(histogram.column("artist_id"), value_set=pa.array(sorted(artists), pa.string()))
    merged = histogram.filter(mask).group_by(["artist_id", "minute"]).aggregate([("listeners", "sum")])
    merged = merged.sort_by([("artist_id", "ascending"), ("minute", "descending")])
    artist_ids = merged.column("artist_id").to_pylist()
    minute_values = merged.column("minute").to_numpy()
    counts = merged.column("listeners_sum").to_numpy()
    at_least: dict[tuple[str, int], int] = {}
    running, previous = 0, None
    for artist, minute, count in zip(artist_ids, minute_values.tolist(), counts.tolist(), strict=True):
        running = count + (running if artist == previous else 0)
        previous = artist
        at_least[(artist, minute)] = running
    return at_least


def finish(user_id: str, year: int, partial: Mapping[str, Any], population: Population) -> Recap:
    """A listener's recap from their partial and the population numbers."""
    total_ms = int(partial.get("ms", 0))
    new = partial.get("new_artists") or {"count": 0, "new_ms": 0, "examples": []}
    mood = partial.get("audio_mood")
    tops = partial.get("top_artists") or []
    rank = None
    if tops:
        top = tops[0]
        artist_ms = dict((a, ms) for a, ms in partial.get("artist_ms", []))
        minute = int(artist_ms.get(top["artist_id"], 0) // 60_000)
        listeners = int(population.listeners.get(top["artist_id"], 0))
        ahead = population.at_least.get((top["artist_id"], minute), listeners)
        if listeners:
            rank = {
                "artist_id": top["artist_id"],
                "name": top["name"],
                "top_percent": max(0.1, math.ceil(1000 * ahead / listeners) / 10),
                "listeners": listeners,
            }
    scores = pers.axis_scores(partial, population.common)
    recap = {
        "user_id": user_id,
        "year": year,
        "minutes_listened": minutes(total_ms),
        "streams": int(partial.get("streams", 0)),
        "distinct_tracks": int(partial.get("distinct_tracks", 0)),
        "distinct_artists": int(partial.get("distinct_artists", 0)),
        "top_artists": tops,
        "top_tracks": partial.get("top_tracks", []),
        "top_albums": partial.get("top_albums", []),
        "top_genres": partial.get("top_genres", []),
        "top_track_by_month": partial.get("top_track_by_month", []),
        "listening_clock": partial.get("listening_clock") or [[0.0] * 24 for _ in range(7)],
        "longest_streak": partial.get("longest_streak"),
        "new_artists": {
            "count": int(new["count"]),
            "minutes_share": round(int(new["new_ms"]) / total_ms, 3) if total_ms else 0.0,
            "examples": new["examples"],
        },
        "most_replayed_day": partial.get("most_replayed_day"),
        "top_artist_rank": rank,
        "audio_mood": None
        if not mood
        else {
            **{k: mood[k] for k in ("valence", "energy", "danceability", "tempo", "mood")},
            "minutes_share": round(int(mood["features_ms"]) / total_ms, 3) if total_ms else 0.0,
        },
        "personality": pers.personality(scores, population.thresholds),
    }
    return msgspec.convert(recap, Recap)
