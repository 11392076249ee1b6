"""The Wrapped job on DuckDB, checked against an independent pandas count of the same events."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import msgspec
import pandas as pd
import pytest

from tastemaker.engines.duckdb_engine import DuckDBEngine
from tastemaker.events.schema import Play, Skip, TrackAdded
from tastemaker.storage.archive import Archive
from tastemaker.wrapped.dimensions import export_dimensions
from tastemaker.wrapped.job import WrappedJob
from tastemaker.wrapped.personality import TYPES
from tests.wrapped.world import ArchivedWorld, archived_world

YEAR = 2025


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArchivedWorld]:
    built = archived_world(tmp_path_factory.mktemp("wrapped"))
    yield built
    built.store.close()


def run_job(world: ArchivedWorld, **kwargs: Any) -> dict[str, dict[str, Any]]:
    job = WrappedJob(world.archive, world.store, YEAR, DuckDBEngine())
    job.archive.remove_tree(job.stage_dir)
    report = job.run(**kwargs)
    users = {e.user_id for e in world.events if isinstance(e, Play | Skip) and e.ts.year == YEAR}
    assert report.listeners == len(users)
    return {u: msgspec.json.decode(world.store.get_recap(u, YEAR) or b"null") for u in users}


def frame(world: ArchivedWorld) -> pd.DataFrame:
    """The plays, with track metadata joined in pandas from the simulator's own catalog events."""
    catalog = pd.DataFrame(
        [
            {"track_id": e.track_id, "artist": e.artist_name, "artist_id": e.artist_id}
            for e in world.events
            if isinstance(e, TrackAdded)
        ]
    )
    rows = [
        {"user": e.user_id, "ts": e.ts, "track_id": e.track_id, "ms": e.ms_played}
        for e in world.events
        if isinstance(e, Play | Skip) and e.ms_played > 0
    ]
    return pd.DataFrame(rows).merge(catalog, on="track_id", how="left")


@pytest.fixture(scope="module")
def recaps(world: ArchivedWorld) -> dict[str, dict[str, Any]]:
    return run_job(world)


def test_minutes_streams_and_top_artists_match_an_independent_count(
    world: ArchivedWorld, recaps: dict[str, dict[str, Any]]
) -> None:
    plays = frame(world)
    year = plays[plays.ts.map(lambda t: t.year) == YEAR]
    checked = 0
    for user, rows in year.groupby("user"):
        recap = recaps[str(user)]
        assert recap["minutes_listened"] == round(rows.ms.sum() / 60000, 1)
        assert recap["streams"] == int((rows.ms >= 30000).sum())
        assert recap["distinct_tracks"] == rows.track_id.nunique()
        by_artist = rows.groupby(["artist_id", "artist"]).ms.sum().reset_index()
        by_artist = by_artist.sort_values(["ms", "artist_id"], ascending=[False, True]).head(5)
        assert [(a["name"], a["minutes"]) for a in recap["top_artists"]] == [
            (r.artist, round(r.ms / 60000, 1)) for r in by_artist.itertuples()
        ]
        clock_total = sum(sum(hours) for hours in recap["listening_clock"])
        assert clock_total == pytest.approx(rows.ms.sum() / 60000, abs=0.05 * 7 * 24)
        checked += 1
    assert checked >= 50


def test_new_artists_are_those_not_heard_before_the_year(
    world: ArchivedWorld, recaps: dict[str, dict[str, Any]]
) -> None:
    plays = frame(world)
    before = plays[plays.ts < datetime(YEAR, 1, 1, tzinfo=UTC)]
    year = plays[plays.ts >= datetime(YEAR, 1, 1, tzinfo=UTC)]
    some_new = 0
    for user, rows in year.groupby("user"):
        known = set(before[before.user == user].artist_id)
        new = set(rows.artist_id) - known
        assert recaps[str(user)]["new_artists"]["count"] == len(new)
        some_new += bool(new) and bool(known)
    assert some_new > 0  # users with history who still found someone new


def test_streak_month_tops_and_replayed_day(world: ArchivedWorld, recaps: dict[str, dict[str, Any]]) -> None:
    plays = frame(world)
    year = plays[plays.ts >= datetime(YEAR, 1, 1, tzinfo=UTC)]
    for user, rows in year.groupby("user"):
        days = sorted({t.date() for t in rows.ts})
        best, run = 1, 1
        for previous, day in itertools.pairwise(days):
            run = run + 1 if (day - previous).days == 1 else 1
            best = max(best, run)
        recap = recaps[str(user)]
        assert recap["longest_streak"]["days"] == best
        months = {t.month for t in rows[rows.ms >= 30000].ts} | {t.month for t in rows.ts}
        assert [m["month"] for m in recap["top_track_by_month"]] == sorted(months)
        if recap["most_replayed_day"]:
            day = date.fromisoformat(recap["most_replayed_day"]["date"])
            same = rows[
                (rows.ts.map(lambda t: t.date()) == day)
                & (rows.track_id == recap["most_replayed_day"]["track_id"])
            ]
            assert int((same.ms >= 30000).sum()) == recap["most_replayed_day"]["streams"]


def test_personality_splits_the_population_on_every_axis(recaps: dict[str, dict[str, Any]]) -> None:
    codes = [r["personality"]["code"] for r in recaps.values()]
    assert all(code in TYPES for code in codes)
    for position in range(4):
        letters = {code[position] for code in codes}
        assert len(letters) == 2, f"axis {position} gave every listener {letters}"
    for recap in recaps.values():
        rank = recap["top_artist_rank"]
        assert rank is not None and 0 < rank["top_percent"] <= 100 and rank["listeners"] >= 1


def test_an_interrupted_run_resumes_and_gives_the_same_recaps(
    world: ArchivedWorld, recaps: dict[str, dict[str, Any]]
) -> None:
    job = WrappedJob(world.archive, world.store, YEAR, DuckDBEngine())
    job.archive.remove_tree(job.stage_dir)

    def crash_after_two(bucket: int) -> None:
        if bucket == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        job.run(on_group=crash_after_two)
    report = WrappedJob(world.archive, world.store, YEAR, DuckDBEngine()).run()
    assert (report.groups, report.groups_resumed) == (4, 2)
    for user, recap in recaps.items():
        assert msgspec.json.decode(world.store.get_recap(user, YEAR) or b"null") == recap


def test_an_archive_on_an_fsspec_url_gives_the_same_recaps(
    world: ArchivedWorld, recaps: dict[str, dict[str, Any]]
) -> None:
    remote = Archive(f"memory://wrapped-{uuid.uuid4().hex}", buckets=4)
    for start in range(0, len(world.events), 5000):
        remote.append(world.events[start : start + 5000])
    remote.compact()
    export_dimensions(remote, world.store, end=date(YEAR + 1, 1, 1))
    report = WrappedJob(remote, world.store, YEAR, DuckDBEngine()).run()
    assert report.listeners == len(recaps)
    for user, recap in recaps.items():
        assert msgspec.json.decode(world.store.get_recap(user, YEAR) or b"null") == recap
    remote.remove_tree("")
