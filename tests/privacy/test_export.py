"""``GET /v1/users/{user}/export``: a zip in Spotify's privacy-export layout that our own Spotify
importer reads back into the same listens (the round trip)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from tastemaker.catalog.importers.spotify import import_spotify
from tastemaker.cli import cli
from tastemaker.config import Config
from tastemaker.platform import Platform
from tests.conftest import LiveServer
from tests.privacy.helpers import add_user, listener_events, send

USER = "expo-listener"
TAG = "xq7"
HISTORY = "Spotify Extended Streaming History"


def _listens(platform: Platform, user: str) -> list[tuple[datetime, str, int, str]]:
    rows = []
    for day, _count in platform.store.listen_days(user):
        rows += [(x.ts, x.track_id, x.ms_played, x.kind) for x in platform.store.listens(user, day)]
    return sorted(rows)


def test_export_is_a_spotify_export_that_imports_back(live_server: LiveServer, tmp_path: Path) -> None:
    token = add_user(live_server, USER)
    events = listener_events(USER, TAG)
    send(live_server, token, events)
    live_server.wait_consumers()

    with live_server.client(token) as client:
        answer = client.get(f"/v1/users/{USER}/export")
        other = client.get("/v1/users/alice/export")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"] == f'attachment; filename="tastemaker-{USER}-export.zip"'
    assert other.status_code == 403  # object-level: only the user themself or an admin

    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = set(archive.namelist())
    assert f"{HISTORY}/Streaming_History_Audio_2025.json" in names
    assert {
        "Spotify Account Data/Userdata.json",
        "Spotify Account Data/YourLibrary.json",
        "Spotify Account Data/Playlist1.json",
        "Tastemaker/profile.json",
        "Tastemaker/account.json",
    } <= names

    rows = json.loads(archive.read(f"{HISTORY}/Streaming_History_Audio_2025.json"))
    plays = [e for e in events if e["type"] in ("play", "skip")]
    assert len(rows) == len(plays)
    first, sent = rows[0], plays[0]
    assert first["master_metadata_track_name"] == sent["track_name"]
    assert first["master_metadata_album_artist_name"] == sent["artist_name"]
    assert first["master_metadata_album_album_name"] == sent["album_name"]
    assert first["ms_played"] == sent["ms_played"]
    assert first["spotify_track_uri"].startswith("tastemaker:track:tm")
    assert first["ts"] == "2025-03-01T09:03:00Z"  # playback end = start + ms_played, Spotify's meaning
    assert [r["skipped"] for r in rows] == [e["type"] == "skip" for e in plays]
    assert {"reason_start", "reason_end", "shuffle", "offline", "platform", "conn_country"} <= first.keys()

    assert json.loads(archive.read("Spotify Account Data/Userdata.json"))["username"] == USER
    library = json.loads(archive.read("Spotify Account Data/YourLibrary.json"))
    assert sorted(t["track"] for t in library["tracks"]) == [f"{TAG} Song 0", f"{TAG} Song 1"]
    playlists = json.loads(archive.read("Spotify Account Data/Playlist1.json"))["playlists"]
    assert [p["name"] for p in playlists] == [f"{TAG} secret mix"]
    assert [i["track"]["trackName"] for i in playlists[0]["items"]] == [f"{TAG} Song {i}" for i in range(3)]
    profile = json.loads(archive.read("Tastemaker/profile.json"))
    assert profile["summary"]["plays"] == 9 and profile["summary"]["skips"] == 3
    assert profile["summary"]["likes"] == 2

    # the round trip: our own importer, a fresh platform, a new user: the same listens
    exported = tmp_path / "export.zip"
    exported.write_bytes(answer.content)
    fresh = Config.load({"data_dir": str(tmp_path / "fresh"), "log_synchronous": "NORMAL"}, env={})
    with Platform.open(fresh) as platform:
        report = import_spotify(exported, user="newcomer", log=platform.event_log, progress=False)
        platform.drain()
        assert report.new == len(plays), report
        assert _listens(platform, "newcomer") == _listens(live_server.platform, USER)


def test_export_of_nobody_is_404_and_the_cli_writes_the_same_zip(
    live_server: LiveServer, config: Config, tmp_path: Path
) -> None:
    with live_server.client(live_server.admin_token) as client:
        assert client.get("/v1/users/nobody-here/export").status_code == 404
    token = add_user(live_server, USER)
    send(live_server, token, listener_events(USER, TAG, plays=3))
    live_server.wait_consumers()
    output = tmp_path / "out.zip"
    result = CliRunner().invoke(
        cli, ["--data-dir", str(config.data_dir), "users", "export", USER, "-o", str(output)], obj={}, env={}
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(zipfile.ZipFile(output).read(f"{HISTORY}/Streaming_History_Audio_2025.json"))
    assert len(rows) == 3
    assert datetime.fromisoformat(rows[0]["ts"]).tzinfo == UTC
