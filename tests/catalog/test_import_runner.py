"""Importing into the real SQLite EventLog: batching, new vs already imported, re-import, the real samples."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tastemaker.catalog.importers import (
    ImportFailed,
    ImportProblem,
    ImportReport,
    import_events,
    import_listenbrainz,
    import_spotify,
    iter_spotify_events,
)
from tastemaker.events.log import EventLog
from tastemaker.events.schema import Event
from tastemaker.events.sqlite_log import SQLiteEventLog
from tests.catalog.spotify_samples import SAMPLES, music_rows

NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    opened = SQLiteEventLog.from_url(f"sqlite:///{tmp_path / 'events.db'}")
    yield opened
    opened.close()


def all_events(log: EventLog) -> list[Event]:
    events: list[Event] = []
    while batch := log.poll("test-reader", 10_000):
        events.extend(record.event for record in batch.records)
    return events


def stored(log: EventLog) -> int:
    return sum(log.end_offsets().values())


def extended_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ts": "2023-05-01T12:03:20Z",
        "ms_played": 200_000,
        "master_metadata_track_name": "Teardrop",
        "master_metadata_album_artist_name": "Massive Attack",
        "master_metadata_album_album_name": "Mezzanine",
        "spotify_track_uri": "spotify:track:67Hna13dNDkZvBpTXRIaOJ",
        "ip_addr_decrypted": "203.0.113.7",
        "user_agent_decrypted": "Mozilla/5.0",
        "conn_country": "DE",
        "platform": "android",
        "skipped": None,
    }
    row.update(overrides)
    return row


def spotify_zip(tmp_path: Path) -> Path:
    rows = [
        extended_row(),
        extended_row(ts="2023-05-01T12:03:30Z", ms_played=9_000, skipped=True),
        extended_row(ts="2023-05-01T13:00:00Z", master_metadata_track_name="Angel"),
        extended_row(
            master_metadata_track_name=None, episode_name="Ep. 1", spotify_episode_uri="spotify:episode:x"
        ),
        extended_row(ts="1999-12-31T23:59:59Z"),
    ]
    path = tmp_path / "my_spotify_data.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("Spotify Extended Streaming History/Streaming_History_Audio_2023.json", json.dumps(rows))
        zf.writestr("Spotify Account Data/Userdata.json", json.dumps({"username": "x"}))
    return path


def test_spotify_import_reports_counts_and_reimport_adds_nothing(tmp_path: Path, log: EventLog) -> None:
    archive = spotify_zip(tmp_path)
    report = import_spotify(archive, user="alice", log=log, progress=False, now=NOW)
    assert (report.source, report.read, report.sent, report.new, report.duplicates) == ("spotify", 5, 3, 3, 0)
    assert report.skipped == {"podcast": 1} and report.skipped_podcasts == 1
    assert report.invalid == 1 and len(report.problems) == 1
    assert "Streaming_History_Audio_2023.json[4]: ts is 1999" in report.problems[0]
    assert stored(log) == 3

    again = import_spotify(archive, user="alice", log=log, progress=False, now=NOW + timedelta(days=7))
    assert (again.sent, again.new, again.duplicates) == (3, 0, 3)
    assert stored(log) == 3

    events = all_events(log)
    assert sorted(type(e).__name__ for e in events) == ["Play", "Play", "Skip"]
    assert {e.user_id for e in events} == {"alice"}
    assert all("ip_addr_decrypted" not in e.extra and "user_agent_decrypted" not in e.extra for e in events)


def test_listenbrainz_zip_import_and_reimport(tmp_path: Path, log: EventLog) -> None:
    listens = [
        {
            "listened_at": 1_700_000_000 + i * 300,
            "track_metadata": {"artist_name": "A", "track_name": f"T{i}"},
        }
        for i in range(7)
    ]
    archive = tmp_path / "listenbrainz_lbuser.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("user.json", json.dumps({"user_id": 1, "username": "lbuser"}))
        zf.writestr("listens/2023/11.jsonl", "\n".join(json.dumps(item) for item in listens))
    first = import_listenbrainz(archive, user=None, log=log, progress=False, batch_size=3)
    assert (first.read, first.sent, first.new, first.invalid) == (7, 7, 7, 0)
    second = import_listenbrainz(archive, user=None, log=log, progress=False)
    assert (second.new, second.duplicates) == (0, 7)
    assert {e.user_id for e in all_events(log)} == {"lbuser"}


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_a_repeated_row_is_stored_and_counted_once(tmp_path: Path, log: EventLog, batch_size: int) -> None:
    path = tmp_path / "endsong_0.json"
    path.write_text(json.dumps([extended_row(), extended_row()]))
    report = import_spotify(path, user="alice", log=log, progress=False, batch_size=batch_size)
    assert (report.sent, report.new, report.duplicates) == (2, 1, 1)
    assert stored(log) == 1


def test_problems_are_counted_but_only_the_first_ten_kept(tmp_path: Path, log: EventLog) -> None:
    path = tmp_path / "endsong_0.json"
    path.write_text(json.dumps([extended_row(ms_played=-i) for i in range(1, 26)]))
    report = import_spotify(path, user="alice", log=log, progress=False)
    assert (report.invalid, len(report.problems), report.sent) == (25, 10, 0)
    assert report.problems[0].endswith(
        "[0]: ms_played = -1: expected a whole number of milliseconds, 0 or more"
    )
    assert "25 invalid" in report.summary()


def test_progress_bar_goes_to_stderr_only_when_asked(
    tmp_path: Path, log: EventLog, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "endsong_0.json"
    path.write_text(json.dumps([extended_row()]))
    import_spotify(path, user="alice", log=log, progress=False)
    assert capsys.readouterr() == ("", "")
    import_spotify(path, user="alice", log=log, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "import spotify" in err


def test_batch_size_must_be_positive(log: EventLog) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        import_events([], log, source="test", batch_size=0)


def test_summary_line() -> None:
    report = ImportReport(source="spotify", read=10, sent=8, new=5, invalid=1, skipped={"podcast": 1})
    assert report.summary() == (
        "spotify: read 10 rows, 5 new events, 3 already imported, 1 skipped (podcast), 1 invalid"
    )


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"real Spotify samples not found at {SAMPLES}")
def test_real_account_exports_import_once(log: EventLog) -> None:
    expected = 0
    for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        report = import_spotify(folder, user=folder.name, log=log, progress=False, batch_size=5_000)
        rows = music_rows(folder)
        assert (report.read, report.sent, report.new, report.invalid) == (rows, rows, rows, 0), folder.name
        expected += rows
    assert stored(log) == expected
    smallest = min((p for p in SAMPLES.iterdir() if p.is_dir()), key=music_rows)
    again = import_spotify(smallest, user=smallest.name, log=log, progress=False)
    assert again.new == 0 and again.duplicates == music_rows(smallest)
    assert stored(log) == expected


def test_reader_and_runner_agree_on_event_ids(tmp_path: Path, log: EventLog) -> None:
    archive = spotify_zip(tmp_path)
    items = list(iter_spotify_events(archive, user="alice", now=NOW))
    ids = {item.event_id for item in items if not isinstance(item, ImportProblem)}
    import_spotify(archive, user="alice", log=log, progress=False)
    assert {e.event_id for e in all_events(log)} == ids and len(ids) == 3


def test_a_broken_file_keeps_what_came_before_it(tmp_path: Path, log: EventLog) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "endsong_0.json").write_text(json.dumps([extended_row()]))
    (folder / "endsong_1.json").write_text('[{"ts": "2023-05-01T12:03:20Z",')
    with pytest.raises(ImportFailed, match=r"endsong_1\.json: invalid JSON at line 1"):
        import_spotify(folder, user="alice", log=log, progress=False)
    assert stored(log) == 1
    (folder / "endsong_1.json").write_text(json.dumps([extended_row(ms_played=5)]))
    report = import_spotify(folder, user="alice", log=log, progress=False)
    assert (report.new, report.duplicates) == (1, 1)
