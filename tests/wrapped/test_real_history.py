"""Real data: five listeners' Spotify exports, imported through the Spotify importer, archived by the
archiver and recapped by the Wrapped job, against an independent pandas count of the raw JSON."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
import pandas as pd

from tastemaker.catalog.importers.spotify import import_spotify
from tastemaker.engines.duckdb_engine import DuckDBEngine
from tastemaker.platform import Platform
from tastemaker.wrapped.dimensions import export_dimensions
from tastemaker.wrapped.job import WrappedJob
from tests.conftest import shared_data

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def raw_plays(folder: Path, user: str) -> pd.DataFrame:
    """Straight from the export: one row per distinct (end, track, artist, ms) music row, with the
    play's start (end - ms) deciding its year, as the importer documents."""
    rows = []
    for path in sorted(folder.glob("StreamingHistory*.json.gz")):
        rows += json.loads(gzip.decompress(path.read_bytes()))
    frame = pd.DataFrame(rows)
    frame = frame[frame.trackName.astype(bool) & frame.artistName.astype(bool)]
    frame = frame.drop_duplicates(["endTime", "trackName", "artistName", "msPlayed"])
    end = pd.to_datetime(frame.endTime, format="%Y-%m-%d %H:%M", utc=True)
    frame = frame.assign(start=end - pd.to_timedelta(frame.msPlayed, unit="ms"), user=user)
    return frame[frame.msPlayed > 0]


def test_spotify_histories_give_recaps_matching_an_independent_count(platform: Platform) -> None:
    root = shared_data("spotify_streaming_history")
    expected = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        import_spotify(folder, user=folder.name, log=platform.event_log, progress=False, now=NOW)
        expected.append(raw_plays(folder, folder.name))
    platform.drain()  # the archiver writes the Store and the archive
    platform.archive.compact()
    plays = pd.concat(expected)
    years = sorted({t.year for t in plays.start})
    export_dimensions(platform.archive, platform.store, end=date(years[-1] + 1, 1, 1))
    compared = 0
    for year in years:
        WrappedJob(platform.archive, platform.store, year, DuckDBEngine()).run()
        in_year = plays[plays.start.map(lambda t, y=year: t.year == y)]
        for user, rows in in_year.groupby("user"):
            recap = msgspec.json.decode(platform.store.get_recap(str(user), year) or b"null")
            assert recap is not None, f"no recap for {user} {year}"
            assert recap["minutes_listened"] == round(rows.msPlayed.sum() / 60000, 1), (user, year)
            by_artist = rows.groupby("artistName").msPlayed.sum().sort_values(ascending=False)
            top = [(a["name"], a["minutes"]) for a in recap["top_artists"]]
            assert [m for _, m in top] == [round(ms / 60000, 1) for ms in by_artist.head(5)], (user, year)
            distinct_ms = by_artist.head(6).tolist()
            for rank, (name, _) in enumerate(top):  # names where the minutes are not tied
                if distinct_ms.count(distinct_ms[rank]) == 1:
                    assert name == by_artist.index[rank], (user, year, rank)
            compared += 1
    assert compared >= 5
    assert sum(len(p) for p in expected) > 50_000
    assert timedelta(0) < plays.start.max() - plays.start.min()
