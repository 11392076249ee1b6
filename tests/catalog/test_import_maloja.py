"""Maloja exports into the real SQLite EventLog, and `tastemaker import maloja`."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tastemaker.catalog.importers.maloja import import_maloja
from tastemaker.catalog.importers.report import ImportFailed
from tastemaker.cli import cli
from tastemaker.events.log import EventLog
from tastemaker.events.schema import FULL_LISTEN_MS, Event, Play
from tastemaker.events.sqlite_log import SQLiteEventLog

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def scrobble(time: Any = 1_700_000_000, **track: Any) -> dict[str, Any]:
    """A scrobble as Maloja 3.x writes it in maloja_export_*.json."""
    return {
        "time": time,
        "track": {
            "artists": ["Massive Attack"],
            "title": "Teardrop",
            "album": {"artists": ["Massive Attack"], "albumtitle": "Mezzanine"},
            "length": 330,
            **track,
        },
        "duration": 200,
        "origin": "client:navidrome",
    }


EXPORT = {
    "scrobbles": [
        scrobble(),
        {
            **scrobble(1_700_000_400, artists=["Massive Attack", "Elizabeth Fraser"], album=None),
            "duration": None,
        },
        {
            **scrobble(1_700_000_800, title="Angel", album={"name": "Mezzanine"}, length=None),
            "duration": None,
        },
        scrobble("yesterday"),
        {"time": 1_700_001_200},
        scrobble(1_700_001_600, artists=[]),
        scrobble(86_400),
    ]
}


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    opened = SQLiteEventLog.from_url(f"sqlite:///{tmp_path / 'events.db'}")
    yield opened
    opened.close()


def all_plays(log: EventLog) -> list[Play]:
    events: list[Event] = []
    while batch := log.poll("test-reader", 10_000):
        events.extend(record.event for record in batch.records)
    assert all(isinstance(e, Play) for e in events)
    return sorted((e for e in events if isinstance(e, Play)), key=lambda e: e.ts)


def export_file(tmp_path: Path, data: Any = EXPORT) -> Path:
    path = tmp_path / "maloja_export_2025_05_01_12_00_00.json"
    path.write_text(json.dumps(data, indent=3))
    return path


def test_scrobbles_become_plays_and_bad_ones_are_reported(tmp_path: Path, log: EventLog) -> None:
    path = export_file(tmp_path)
    report = import_maloja(path, user="alice", log=log, progress=False, now=NOW)
    assert (report.source, report.read, report.new, report.invalid) == ("maloja", 7, 3, 4)
    assert report.problems == [
        f"{path}[3]: time = 'yesterday': expected Unix time in seconds",
        f"{path}[4]: track is required and must be an object",
        f"{path}[5]: track.artists = []: expected a list of names",
        f"{path}[6]: ts is 1970-01-02T00:00:00+00:00, before 2002-10-01 (the earliest listen accepted)",
    ]
    teardrop, duet, angel = all_plays(log)
    assert teardrop.ts == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert (teardrop.artist_name, teardrop.track_name, teardrop.album_name) == (
        "Massive Attack",
        "Teardrop",
        "Mezzanine",
    )
    assert (teardrop.duration_ms, teardrop.ms_played) == (330_000, 200_000)
    assert teardrop.extra == {
        "imported_from": "maloja",
        "origin": "client:navidrome",
        "album_artists": ["Massive Attack"],
    }
    assert teardrop.event_id.startswith("mj:") and teardrop.user_id == "alice"
    # Several artists: the first names the track (same track id as a plain scrobble), all are kept.
    assert duet.artist_name == "Massive Attack" and duet.track_id == teardrop.track_id
    assert duet.extra["artists"] == ["Massive Attack", "Elizabeth Fraser"] and duet.album_name is None
    assert duet.ms_played == 330_000  # no duration played: the track's length (a scrobble is a finished play)
    # The album as exports before Maloja 3.1 name it; nothing known about time: 0, "unknown".
    assert (angel.album_name, angel.duration_ms, angel.ms_played) == ("Mezzanine", None, FULL_LISTEN_MS)
    assert angel.extra["ms_played_assumed"] is True


def test_reimport_adds_nothing(tmp_path: Path, log: EventLog) -> None:
    path = export_file(tmp_path)
    import_maloja(path, user="alice", log=log, progress=False, now=NOW)
    again = import_maloja(path, user="alice", log=log, progress=False, now=NOW)
    assert (again.sent, again.new, again.duplicates) == (3, 0, 3)
    assert sum(log.end_offsets().values()) == 3


def test_a_zip_or_folder_holding_the_export_is_read(tmp_path: Path, log: EventLog) -> None:
    archive = tmp_path / "backup.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("maloja_export_2025_05_01_12_00_00.json", json.dumps({"scrobbles": [scrobble()]}))
        zf.writestr("settings.ini", "[x]")
    assert import_maloja(archive, user="alice", log=log, progress=False, now=NOW).new == 1


def test_something_else_is_refused_with_what_was_expected(tmp_path: Path, log: EventLog) -> None:
    with pytest.raises(ImportFailed, match=r"not a Maloja export; expected maloja_export_\*\.json"):
        import_maloja(export_file(tmp_path, {"listens": []}), user="alice", log=log, progress=False)
    broken = tmp_path / "maloja_export_broken.json"
    broken.write_text('{"scrobbles": [')
    with pytest.raises(ImportFailed, match="invalid JSON at line 1"):
        import_maloja(broken, user="alice", log=log, progress=False)
    with pytest.raises(ImportFailed, match="user must not be empty"):
        import_maloja(broken, user="", log=log, progress=False)


def test_cli_import_maloja(tmp_path: Path) -> None:
    path = export_file(tmp_path)
    args = [
        "--data-dir",
        str(tmp_path / "data"),
        "import",
        "maloja",
        str(path),
        "--user",
        "alice",
        "--no-progress",
    ]
    result = CliRunner().invoke(cli, args, obj={}, env={})
    assert result.exit_code == 0, result.stderr
    assert "maloja: read 7 rows, 3 new events, 4 invalid" in result.stderr
    assert f"{path}[3]: time = 'yesterday'" in result.stderr
    not_export = tmp_path / "other.json"
    not_export.write_text("[]")
    bad = CliRunner().invoke(cli, [*args[:4], str(not_export), *args[5:]], obj={}, env={})
    assert bad.exit_code == 1 and "not a Maloja export" in bad.stderr
