"""Last.fm scrobble CSVs (both exporters' formats) into the real SQLite log; `tastemaker import lastfm`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tastemaker.catalog.importers.lastfm_csv import import_lastfm_csv
from tastemaker.catalog.importers.report import ImportFailed
from tastemaker.cli import cli
from tastemaker.events.log import EventLog
from tastemaker.events.schema import FULL_LISTEN_MS, Event, Play
from tastemaker.events.sqlite_log import SQLiteEventLog

NOW = datetime(2025, 6, 1, tzinfo=UTC)
TRACK_MBID = "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"
ALBUM_MBID = "5b5e4a0f-1d2c-4a59-9a3e-0d3b35a1c1e8"
ARTIST_MBID = "10adbe5e-a2c0-4bf3-8249-2b4cbf6e6ca8"

# lastfm-to-csv (benjaminbenben): no header; line 3 is blank, 4 has a bad date, 5 a missing column.
BENJAMINBENBEN = """\
Massive Attack,Mezzanine,Teardrop,31 Jan 2021 18:05
"Crosby, Stills & Nash",Crosby Stills & Nash,"Suite: Judy Blue Eyes",31 Jan 2021 17:58

Portishead,Dummy,Roads,yesterday
Björk,Homogenic
"""

# lastfm.ghan.nl: a header; columns found by name; line 4 has a bad uts, line 5 a time before 2002.
GHAN = f"""\
uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid
1612116300,"31 Jan 2021, 18:05",Massive Attack,{ARTIST_MBID},Mezzanine,{ALBUM_MBID},Teardrop,{TRACK_MBID}
1612115880,"31 Jan 2021, 17:58",Portishead,,Dummy,,Roads,
soon,"31 Jan 2021, 17:50",Björk,,Homogenic,,Jóga,
86400,"02 Jan 1970, 00:00",Old,,,,Song,
"""


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    opened = SQLiteEventLog.from_url(f"sqlite:///{tmp_path / 'events.db'}")
    yield opened
    opened.close()


def all_events(log: EventLog) -> list[Event]:
    events: list[Event] = []
    while batch := log.poll("test-reader", 10_000):
        events.extend(record.event for record in batch.records)
    return sorted(events, key=lambda e: e.ts)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_lastfm_to_csv_rows_become_plays_and_bad_rows_name_their_line(tmp_path: Path, log: EventLog) -> None:
    path = write(tmp_path, "scrobbles.csv", BENJAMINBENBEN)
    report = import_lastfm_csv(path, user="alice", log=log, progress=False, now=NOW)
    assert (report.source, report.read, report.sent, report.new, report.invalid) == ("lastfm", 4, 2, 2, 2)
    assert report.problems == [
        f"{path}:4: date = 'yesterday': expected a date like '31 Jan 2021 18:05'",
        f"{path}:5: 2 columns, expected 4 (artist,album,track,date)",
    ]
    first, second = all_events(log)
    assert isinstance(first, Play) and isinstance(second, Play)
    assert (first.artist_name, first.track_name, first.album_name) == (
        "Crosby, Stills & Nash",
        "Suite: Judy Blue Eyes",
        "Crosby Stills & Nash",
    )
    assert second.ts == datetime(2021, 1, 31, 18, 5, tzinfo=UTC)
    assert (second.user_id, second.ms_played) == ("alice", FULL_LISTEN_MS)
    assert second.extra == {"imported_from": "lastfm", "ms_played_assumed": True}
    assert second.event_id.startswith("lfm:") and second.track_id and second.track_id.startswith("tm:")


def test_header_format_keeps_mbids_and_uts_seconds(tmp_path: Path, log: EventLog) -> None:
    path = write(tmp_path, "lastfm-export.csv", GHAN)
    report = import_lastfm_csv(path, user="alice", log=log, progress=False, now=NOW)
    assert (report.read, report.new, report.invalid) == (4, 2, 2)
    assert report.problems[0] == f"{path}:4: uts = 'soon': expected Unix time in whole seconds"
    assert report.problems[1].startswith(f"{path}:5: ts is 1970")
    roads, teardrop = all_events(log)
    assert isinstance(teardrop, Play) and isinstance(roads, Play)
    assert teardrop.ts == datetime.fromtimestamp(1612116300, tz=UTC)
    assert (teardrop.recording_mbid, teardrop.release_mbid, teardrop.artist_mbids) == (
        TRACK_MBID,
        ALBUM_MBID,
        [ARTIST_MBID],
    )
    assert (roads.recording_mbid, roads.release_mbid, roads.artist_mbids) == (None, None, None)


def test_columns_are_found_by_name_in_any_order(tmp_path: Path, log: EventLog) -> None:
    path = write(tmp_path, "reordered.csv", "track,artist,uts\nTeardrop,Massive Attack,1612116300\n")
    report = import_lastfm_csv(path, user="alice", log=log, progress=False, now=NOW)
    assert (report.new, report.invalid) == (1, 0)
    (event,) = all_events(log)
    assert isinstance(event, Play) and (event.artist_name, event.track_name) == ("Massive Attack", "Teardrop")


def test_reimport_adds_nothing(tmp_path: Path, log: EventLog) -> None:
    path = write(tmp_path, "scrobbles.csv", BENJAMINBENBEN)
    import_lastfm_csv(path, user="alice", log=log, progress=False, now=NOW)
    again = import_lastfm_csv(path, user="alice", log=log, progress=False, now=NOW)
    assert (again.sent, again.new, again.duplicates) == (2, 0, 2)
    assert sum(log.end_offsets().values()) == 2
    other_user = import_lastfm_csv(path, user="bob", log=log, progress=False, now=NOW)
    assert other_user.new == 2


def test_a_file_that_is_not_text_or_a_missing_user_stops_the_import(tmp_path: Path, log: EventLog) -> None:
    binary = tmp_path / "scrobbles.csv"
    binary.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ImportFailed, match=r"scrobbles\.csv: not UTF-8 text"):
        import_lastfm_csv(binary, user="alice", log=log, progress=False)
    with pytest.raises(ImportFailed, match="user must not be empty"):
        import_lastfm_csv(binary, user="", log=log, progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImportFailed, match="found no CSV files in this folder"):
        import_lastfm_csv(empty, user="alice", log=log, progress=False)


def test_cli_import_lastfm_prints_counts_and_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "scrobbles.csv", BENJAMINBENBEN)
    args = [
        "--data-dir",
        str(tmp_path / "data"),
        "import",
        "lastfm",
        str(path),
        "--user",
        "alice",
        "--no-progress",
    ]
    result = CliRunner().invoke(cli, args, obj={}, env={})
    assert result.exit_code == 0, result.stderr
    assert "lastfm: read 4 rows, 2 new events, 2 invalid" in result.stderr
    assert f"{path}:4: date = 'yesterday'" in result.stderr
    again = CliRunner().invoke(cli, args, obj={}, env={})
    assert "0 new events, 2 already imported" in again.stderr
    missing_user = CliRunner().invoke(cli, args[:-3], obj={}, env={})
    assert missing_user.exit_code == 2 and "--user" in missing_user.stderr
