"""The Engine contract: run a batch job's SQL over one set of buckets of the archive.

A job is written once, as portable SQL over a few named relations that every engine provides with
the same columns (``RELATIONS``); the engine decides how to build them (DuckDB bucket by bucket with
bounded memory, Spark over bucketed tables), and hands the results back as Arrow tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import pyarrow as pa

from tastemaker.storage.archive import Archive

RELATIONS: Mapping[str, str] = {
    "plays": (
        "the year's play and skip events with ms_played > 0, one row each, integers and the ids of the "
        "event only: user_id, day_number (days since 1970-01-01), month (1-12), weekday (0 = Monday), "
        "hour (0-23, UTC), track_id, ms, stream (1 when ms >= 30000, else 0)"
    ),
    "user_tracks": (
        "plays summed per user and track (ms, streams as BIGINT), joined with the tracks dimension; built "
        "once per run so the per-track, -artist, -album and -feature statistics read it instead of every "
        "play: user_id, track_id, artist_id, album_id, release_year, valence, energy, danceability "
        "(0-1000), tempo (deci-BPM), ms, streams"
    ),
    "play_genres": "user_id, genre, ms: one row per user_tracks row and genre of its track",
    "known_artists": "user_id, artist_id: the artists each user played before the year (distinct)",
    "tracks": "the tracks dimension (TRACK_DIMENSION): names are joined onto the few winning rows only",
}
"""What each relation holds; integers throughout, so sums are exact and engines agree to the bit."""

TRACK_DIMENSION = pa.schema(
    [
        ("track_id", pa.string()),
        ("track_name", pa.string()),
        ("artist_id", pa.string()),
        ("artist_name", pa.string()),
        ("album_id", pa.string()),
        ("album_name", pa.string()),
        ("release_year", pa.int32()),
        ("genres", pa.list_(pa.string())),
        ("valence", pa.int32()),
        ("energy", pa.int32()),
        ("danceability", pa.int32()),
        ("tempo", pa.int32()),
    ]
)
"""The ``tracks`` dimension as the archive holds it (features in thousandths, tempo in deci-BPM)."""


@dataclass
class JobInput:
    """What a job reads: the archive, the half-open day range that is "the year", and the history
    before it; the archive is listed once, here, not once per bucket."""

    archive: Archive
    start: date
    end: date
    year_files: dict[int, list[str]] = field(init=False)
    history_files: dict[int, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.year_files = self.archive.event_files_by_bucket(self.start, self.end)
        self.history_files = self.archive.event_files_by_bucket(date.min, self.start)

    @property
    def buckets(self) -> int:
        return self.archive.buckets

    @property
    def year(self) -> int:
        return self.start.year

    def files(self, buckets: Sequence[int], *, history: bool = False) -> list[str]:
        found = self.history_files if history else self.year_files
        return [path for bucket in buckets for path in found.get(bucket, [])]

    def dimension(self, name: str) -> list[str]:
        return self.archive.dimension_files(name)


class Engine(Protocol):
    name: str

    def buckets_per_run(self, buckets: int) -> int:
        """How many buckets one ``run`` should cover: 1 for bounded memory, all for a cluster."""
        ...

    def parallel_runs(self) -> int:
        """How many ``run`` calls the job may make at once, from different threads."""
        ...

    def run(self, job: JobInput, queries: Mapping[str, str], buckets: Sequence[int]) -> dict[str, pa.Table]:
        """Every query's result over the union of ``buckets``; each result table is one query's rows."""
        ...

    def close(self) -> None: ...
