"""The Spotify reader on its own: export rows in, events or problems out (no log involved)."""

from __future__ import annotations

import gzip
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tastemaker.catalog.importers import ImportFailed, ImportItem, ImportProblem, iter_spotify_events
from tastemaker.events.schema import Play, Skip
from tests.catalog.spotify_samples import SAMPLES, music_rows

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def extended_row(**overrides: Any) -> dict[str, Any]:
    """One row of Streaming_History_Audio_*.json as Spotify writes it (2023 layout)."""
    row: dict[str, Any] = {
        "ts": "2023-05-01T12:03:20Z",
        "username": "spotify-account-name",
        "platform": "android",
        "ms_played": 200_000,
        "conn_country": "DE",
        "ip_addr": "203.0.113.7",
        "ip_addr_decrypted": "203.0.113.7",
        "user_agent_decrypted": "Mozilla/5.0 (Linux; Android 13)",
        "master_metadata_track_name": "Teardrop",
        "master_metadata_album_artist_name": "Massive Attack",
        "master_metadata_album_album_name": "Mezzanine",
        "spotify_track_uri": "spotify:track:67Hna13dNDkZvBpTXRIaOJ",
        "episode_name": None,
        "episode_show_name": None,
        "spotify_episode_uri": None,
        "audiobook_title": None,
        "reason_start": "clickrow",
        "reason_end": "trackdone",
        "shuffle": False,
        "skipped": False,
        "offline": False,
        "offline_timestamp": 1_682_942_600,
        "incognito_mode": False,
    }
    row.update(overrides)
    return row


def podcast_row() -> dict[str, Any]:
    return extended_row(
        master_metadata_track_name=None,
        master_metadata_album_artist_name=None,
        master_metadata_album_album_name=None,
        spotify_track_uri=None,
        episode_name="#144 Episode",
        episode_show_name="Some Show",
        spotify_episode_uri="spotify:episode:xyz",
    )


def write_json(path: Path, rows: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def collect(path: Path, **kwargs: Any) -> tuple[list[Play | Skip], list[ImportProblem]]:
    events: list[Play | Skip] = []
    problems: list[ImportProblem] = []
    item: ImportItem
    for item in iter_spotify_events(
        path, user=kwargs.pop("user", "alice"), now=kwargs.pop("now", NOW), **kwargs
    ):
        if isinstance(item, ImportProblem):
            problems.append(item)
        else:
            assert isinstance(item, Play | Skip)
            events.append(item)
    return events, problems


def test_extended_history_maps_plays_skips_and_skips_podcasts(tmp_path: Path) -> None:
    rows = [
        extended_row(),
        extended_row(
            ts="2023-05-01T12:03:25Z", ms_played=4_321, skipped=True, reason_end="fwdbtn", shuffle=True
        ),
        podcast_row(),
        extended_row(
            master_metadata_track_name=None, master_metadata_album_artist_name=None, spotify_track_uri=None
        ),
    ]
    path = write_json(tmp_path / "Streaming_History_Audio_2023_0.json", rows)
    events, problems = collect(path)

    assert [type(e) for e in events] == [Play, Skip]
    play, skip = events
    assert isinstance(play, Play) and isinstance(skip, Skip)
    assert play.user_id == "alice"
    assert (play.track_name, play.artist_name, play.album_name) == ("Teardrop", "Massive Attack", "Mezzanine")
    assert (play.reason_start, play.reason_end, play.shuffle, play.offline, play.platform) == (
        "clickrow",
        "trackdone",
        False,
        False,
        "android",
    )
    assert play.track_id is not None and play.track_id.startswith("tm:")
    assert play.extra["spotify_track_uri"] == "spotify:track:67Hna13dNDkZvBpTXRIaOJ"
    assert play.extra["conn_country"] == "DE"
    assert play.extra["imported_from"] == "spotify"
    assert skip.ms_played == 4_321 and skip.reason_end == "fwdbtn"
    # Fields a skip does not have are kept in extra, not dropped.
    assert skip.extra["shuffle"] is True and skip.extra["reason_start"] == "clickrow"
    assert [p.kind for p in problems] == ["podcast", "no_track"]
    assert problems[0].where.endswith("Streaming_History_Audio_2023_0.json[2]")


def test_ts_is_playback_start_not_end(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "endsong_0.json", [extended_row(ts="2023-05-01T12:03:20Z", ms_played=200_500)]
    )
    (event,), _ = collect(path)
    assert event.ts == datetime(2023, 5, 1, 12, 3, 20, tzinfo=UTC) - timedelta(milliseconds=200_500)
    assert event.ts == datetime(2023, 5, 1, 11, 59, 59, 500_000, tzinfo=UTC)


def test_account_data_format_end_time_minus_ms_played(tmp_path: Path) -> None:
    rows = [
        {"endTime": "2021-01-17 13:49", "artistName": "Maluma", "trackName": "11 PM", "msPlayed": 60_000},
        {"endTime": "2021-01-17 13:50", "artistName": "", "trackName": "", "msPlayed": 0},
    ]
    path = write_json(tmp_path / "StreamingHistory_music_0.json", rows)
    (event,), problems = collect(path)
    assert isinstance(event, Play)
    assert event.ts == datetime(2021, 1, 17, 13, 48, tzinfo=UTC)
    assert (event.track_name, event.artist_name, event.ms_played) == ("11 PM", "Maluma", 60_000)
    assert [p.kind for p in problems] == ["no_track"]


def test_account_data_podcast_file_is_counted_not_imported(tmp_path: Path) -> None:
    rows = [{"endTime": "2021-01-17 13:49", "podcastName": "Show", "episodeName": "Ep. 1", "msPlayed": 9}]
    events, problems = collect(write_json(tmp_path / "StreamingHistory_podcast_0.json", rows))
    assert events == [] and [p.kind for p in problems] == ["podcast"]


def test_ip_addresses_user_agent_and_account_name_are_dropped(tmp_path: Path) -> None:
    (event,), _ = collect(write_json(tmp_path / "Streaming_History_Audio_2023.json", [extended_row()]))
    stored = json.dumps(event.extra)
    assert "203.0.113.7" not in stored and "Mozilla" not in stored and "spotify-account-name" not in stored
    assert not {"ip_addr", "ip_addr_decrypted", "user_agent_decrypted", "username"} & event.extra.keys()


def test_private_session_plays_are_skipped_unless_asked_for(tmp_path: Path) -> None:
    path = write_json(tmp_path / "endsong_1.json", [extended_row(incognito_mode=True)])
    events, problems = collect(path)
    assert events == [] and [p.kind for p in problems] == ["private_session"]
    events, problems = collect(path, include_private=True)
    assert len(events) == 1 and problems == []


def test_event_id_is_stable_and_independent_of_import_time(tmp_path: Path) -> None:
    path = write_json(tmp_path / "endsong_0.json", [extended_row(), extended_row(ms_played=1)])
    first, _ = collect(path, now=NOW)
    again, _ = collect(path, now=NOW + timedelta(days=30))
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert all(e.event_id.startswith("sp:") for e in first)
    assert first[0].event_id != first[1].event_id
    other_user, _ = collect(path, user="bob")
    assert {e.event_id for e in other_user}.isdisjoint(e.event_id for e in first)


def test_bad_rows_are_reported_not_raised(tmp_path: Path) -> None:
    rows = [
        extended_row(ts="2001-05-01T12:00:00Z"),
        extended_row(ts="yesterday"),
        extended_row(ms_played=-5),
        extended_row(ts="2031-01-01T00:00:00Z"),
        ["not", "an", "object"],
        {"what": "ever"},
        extended_row(),
    ]
    events, problems = collect(write_json(tmp_path / "endsong_0.json", rows))
    assert len(events) == 1
    assert [p.kind for p in problems] == ["invalid"] * 6
    assert "before 2002-10-01" in problems[0].message
    assert "ts = 'yesterday'" in problems[1].message
    assert "ms_played = -5" in problems[2].message
    assert "after server time" in problems[3].message
    assert str(problems[0]).startswith(str(tmp_path / "endsong_0.json") + "[0]: ")


def test_folder_is_searched_recursively_and_other_files_ignored(tmp_path: Path) -> None:
    write_json(
        tmp_path / "export" / "Spotify Extended Streaming History" / "endsong_0.json", [extended_row()]
    )
    write_json(tmp_path / "export" / "Userdata.json", {"username": "x"})
    (tmp_path / "export" / "StreamingHistory0.json.gz").write_bytes(
        gzip.compress(
            json.dumps(
                [{"endTime": "2021-01-17 13:49", "artistName": "A", "trackName": "T", "msPlayed": 5}]
            ).encode()
        )
    )
    events, problems = collect(tmp_path / "export")
    assert len(events) == 2 and problems == []


def test_zip_export_gives_the_same_events_as_the_folder(tmp_path: Path) -> None:
    rows = [extended_row(), extended_row(ts="2023-05-02T08:00:00Z", skipped=True), podcast_row()]
    folder = tmp_path / "my_spotify_data"
    write_json(folder / "Spotify Extended Streaming History" / "Streaming_History_Audio_2023_0.json", rows)
    archive = tmp_path / "my_spotify_data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "Spotify Extended Streaming History/Streaming_History_Audio_2023_0.json", json.dumps(rows)
        )
        zf.writestr("Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf", b"%PDF")
        zf.writestr(
            "__MACOSX/Spotify Extended Streaming History/._Streaming_History_Audio_2023_0.json", b"\0"
        )
    from_zip, zip_problems = collect(archive)
    from_folder, _ = collect(folder)
    assert [e.event_id for e in from_zip] == [e.event_id for e in from_folder]
    assert len(from_zip) == 2 and [p.kind for p in zip_problems] == ["podcast"]
    assert "my_spotify_data.zip!Spotify Extended Streaming History/" in zip_problems[0].where


def test_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "StreamingHistory0.json"
    path.write_text('[\n  {"endTime": "2021-01-17 13:49",\n   "artistName": "A" "trackName": "T"}\n]\n')
    with pytest.raises(ImportFailed, match=r"StreamingHistory0\.json: invalid JSON at line 3, column 22"):
        list(iter_spotify_events(path, user="alice", now=NOW))


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file or folder"),
        (
            "empty_folder",
            "found no Spotify streaming history files in this folder; expected Streaming_History_Audio_",
        ),
        ("zip_without_history", "the zip holds no Spotify streaming history files; expected"),
        ("broken_zip", "not a valid zip file"),
        ("other_json", "not a Spotify streaming history; expected"),
    ],
)
def test_unusable_exports_fail_clearly(tmp_path: Path, setup: str, message: str) -> None:
    path = tmp_path / "export"
    if setup == "empty_folder":
        write_json(path / "Playlist1.json", {"playlists": []})
    elif setup == "zip_without_history":
        path = tmp_path / "export.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("MyData/Playlist1.json", "{}")
    elif setup == "broken_zip":
        path = tmp_path / "export.zip"
        path.write_bytes(b"PK\x03\x04 truncated")
    elif setup == "other_json":
        path = write_json(tmp_path / "Playlist1.json", [{"name": "calm"}])
    with pytest.raises(ImportFailed, match=message):
        list(iter_spotify_events(path, user="alice", now=NOW))


def test_a_user_is_required(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="--user"):
        iter_spotify_events(write_json(tmp_path / "endsong_0.json", []), user="", now=NOW)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"real Spotify samples not found at {SAMPLES}")
def test_real_account_exports_every_music_row_becomes_one_play() -> None:
    for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        events, problems = collect(folder, user=folder.name, now=datetime.now(UTC))
        assert problems == [], (folder.name, problems[:3])
        assert len(events) == music_rows(folder) > 0
        assert len({e.event_id for e in events}) == len(events)
        assert all(isinstance(e, Play) and e.user_id == folder.name for e in events)
