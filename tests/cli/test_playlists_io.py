"""`tastemaker playlists export|push`: stored playlists as M3U8/XSPF files and on a real Subsonic server.

The server is ``tests/subsonic_server.py``: a Subsonic-protocol HTTP server on loopback that checks
token authentication and records the playlists created.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner, Result

from tastemaker.backends import STORES, open_backend
from tastemaker.cli import cli
from tastemaker.playlists_io.subsonic import SubsonicClient, SubsonicError
from tastemaker.storage.models import Playlist, Track
from tests.subsonic_server import Library, Song, subsonic_server

XSPF = "{http://xspf.org/ns/0/}"
NOW = datetime(2026, 12, 7, tzinfo=UTC)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A Store with a small catalog (local, file://, stream and no audio) and alice's playlists."""
    music = tmp_path / "Music"
    tracks = [
        Track(
            track_id="t1",
            name="Teardrop",
            artist_name="Massive Attack",
            album_name="Mezzanine",
            duration_ms=330_500,
            audio_url=str(music / "Massive Attack" / "Teardrop.flac"),
        ),
        Track(
            track_id="t2",
            name="Don't <Stop> & Go",
            artist_name="AC/DC",
            duration_ms=200_000,
            audio_url=(music / "AC DC" / "Dont Stop é.mp3").as_uri(),
        ),
        Track(track_id="t3", name="Jóga", artist_name="Björk", audio_url="https://cdn.example/joga.ogg"),
        Track(track_id="t4", name="Unreleased", artist_name="Nobody", duration_ms=100_000),
    ]
    weekly = [
        Playlist(
            user_id="alice",
            kind="discover-weekly",
            playlist_id=f"discover-weekly-2026-W{week}",
            name="Discover Weekly",
            track_ids=ids,
            updated_at=NOW,
        )
        for week, ids in (("48", ["t4"]), ("49", ["t1", "t2", "t3", "t4", "gone"]))
    ]
    mixes = [
        Playlist(user_id="alice", kind="daily-mix", playlist_id=f"daily-mix-2026-12-07-{n}", name=f"Mix {n}")
        for n in (1, 2)
    ]
    store = open_backend(STORES, f"sqlite:///{tmp_path}/store.db")
    try:
        store.put_tracks(tracks)
        store.put_playlists([*weekly, *mixes])
    finally:
        store.close()
    return tmp_path


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), "playlists", *args], obj={}, env={})


def test_m3u8_lists_local_files_and_streams_and_comments_the_rest(data_dir: Path) -> None:
    result = run(data_dir, "export", "alice", "discover-weekly", "--format", "m3u8")
    assert result.exit_code == 0, result.stderr
    music = data_dir / "Music"
    assert result.stdout.splitlines() == [
        "#EXTM3U",
        "#PLAYLIST:Discover Weekly (discover-weekly-2026-W49)",
        "#EXTINF:330,Massive Attack - Teardrop",
        str(music / "Massive Attack" / "Teardrop.flac"),
        "#EXTINF:200,AC/DC - Don't <Stop> & Go",
        str(music / "AC DC" / "Dont Stop é.mp3"),
        "#EXTINF:-1,Björk - Jóga",
        "https://cdn.example/joga.ogg",
        "# not in the library: Nobody - Unreleased",
        "# not in the library: gone",
    ]


def test_xspf_is_valid_namespaced_utf8_with_escaped_names(data_dir: Path) -> None:
    output = data_dir / "weekly.xspf"
    result = run(data_dir, "export", "alice", "discover-weekly", "--format", "xspf", "--output", str(output))
    assert result.exit_code == 0, result.stderr
    assert "5 tracks, 3 with audio" in result.stderr
    data = output.read_bytes()
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>") and "Björk".encode() in data
    assert b"Don't &lt;Stop&gt; &amp; Go" in data
    root = ET.fromstring(data)
    assert root.tag == f"{XSPF}playlist" and root.get("version") == "1"
    tracks = root.findall(f"{XSPF}trackList/{XSPF}track")

    def fields(track: ET.Element) -> dict[str, str | None]:
        return {child.tag.removeprefix(XSPF): child.text for child in track}

    music = data_dir / "Music"
    assert [fields(t) for t in tracks] == [
        {
            "location": (music / "Massive Attack" / "Teardrop.flac").as_uri(),
            "title": "Teardrop",
            "creator": "Massive Attack",
            "album": "Mezzanine",
            "duration": "330500",
        },
        {
            "location": (music / "AC DC" / "Dont Stop é.mp3").as_uri(),
            "title": "Don't <Stop> & Go",
            "creator": "AC/DC",
            "duration": "200000",
        },
        {"location": "https://cdn.example/joga.ogg", "title": "Jóga", "creator": "Björk"},
        {"title": "Unreleased", "creator": "Nobody", "duration": "100000"},
        {},
    ]


def test_choosing_among_several_playlists(data_dir: Path) -> None:
    several = run(data_dir, "export", "alice", "daily-mix", "--format", "m3u8")
    assert several.exit_code == 1
    assert (
        "2 'daily-mix' playlists; pick one with --playlist: daily-mix-2026-12-07-1, daily-mix-2026-12-07-2"
        in (several.stderr)
    )
    one = run(
        data_dir, "export", "alice", "daily-mix", "--playlist", "daily-mix-2026-12-07-2", "--format", "m3u8"
    )
    assert one.exit_code == 0 and "#PLAYLIST:Mix 2 (daily-mix-2026-12-07-2)" in one.stdout
    older = run(
        data_dir,
        "export",
        "alice",
        "discover-weekly",
        "--playlist",
        "discover-weekly-2026-W48",
        "--format",
        "m3u8",
    )
    assert "Nobody - Unreleased" in older.stdout and "Teardrop" not in older.stdout
    unknown = run(data_dir, "export", "alice", "discover-weekly", "--playlist", "nope", "--format", "m3u8")
    assert unknown.exit_code == 1 and "no 'discover-weekly' playlist 'nope'" in unknown.stderr
    nothing = run(data_dir, "export", "bob", "liked", "--format", "xspf")
    assert nothing.exit_code == 1 and "bob has no 'liked' playlist" in nothing.stderr


LIBRARY_SONGS = [
    Song("s-tear-live", "Teardrop (Live)", "Massive Attack", "Live", 410),
    Song("s-tear-edit", "Teardrop", "Massive Attack", "Radio Edits", 240),
    Song("s-tear", "Teardrop", "Massive Attack", "Mezzanine", 331),
    Song("s-dont", "Don’t <Stop> & Go", "AC/DC feat. Someone", "Singles", 200),
    Song("s-joga-cover", "Jóga", "A Cover Band", "Covers", 305),
]


@pytest.fixture
def server() -> Iterator[tuple[str, Library]]:
    library = Library(users={"navi": "s3cret pass"}, songs=LIBRARY_SONGS)
    with subsonic_server(library) as url:
        yield url, library


def push(data_dir: Path, url: str, *extra: str, password: str = "s3cret pass") -> Result:
    return run(
        data_dir,
        "push",
        "alice",
        "discover-weekly",
        "--subsonic-url",
        url,
        "--subsonic-user",
        "navi",
        "--subsonic-password",
        password,
        *extra,
    )


def test_push_creates_the_playlist_from_the_best_matches(data_dir: Path, server: tuple[str, Library]) -> None:
    url, library = server
    result = push(data_dir, url, "--name", "From Tastemaker")
    assert result.exit_code == 0, result.stderr
    assert (
        f"created 'From Tastemaker' on {url} as playlist 1: 2 of 5 tracks matched, 3 not found"
        in result.stdout
    )
    assert result.stderr.splitlines() == [
        "  not found: Björk - Jóga",
        "  not found: Nobody - Unreleased",
        "  not found: gone",
    ]
    # Teardrop: the album version by duration (not the live one, not the edit); Don't Stop: despite the
    # curly apostrophe and the "feat." credit. Jóga by another artist is not taken.
    assert library.created == [{"id": "1", "name": "From Tastemaker", "songs": ["s-tear", "s-dont"]}]
    with SubsonicClient(url, "navi", "s3cret pass") as client:
        listed = client.call("getPlaylists")["playlists"]["playlist"]
        assert [(p["name"], p["songCount"]) for p in listed] == [("From Tastemaker", 2)]
        entries = client.call("getPlaylist", [("id", "1")])["playlist"]["entry"]
        assert [e["id"] for e in entries] == ["s-tear", "s-dont"]
        with pytest.raises(
            SubsonicError, match=r"getPlaylist failed: Playlist not found \(error 70\)"
        ) as failed:
            client.call("getPlaylist", [("id", "99")])
        assert failed.value.code == 70


def test_push_default_name_is_the_playlists(data_dir: Path, server: tuple[str, Library]) -> None:
    url, library = server
    assert push(data_dir, url + "/").exit_code == 0
    assert library.created[0]["name"] == "Discover Weekly (discover-weekly-2026-W49)"


def test_wrong_password_is_a_clear_error_and_creates_nothing(
    data_dir: Path, server: tuple[str, Library]
) -> None:
    url, library = server
    result = push(data_dir, url, password="not-it")
    assert result.exit_code == 1
    message = f"{url}: ping failed: Wrong username or password (error 40); check --subsonic-user and"
    assert message in result.stderr and "--subsonic-password" in result.stderr
    assert library.created == [] and library.calls == ["ping"]
    assert "not-it" not in result.stderr


def test_nothing_matched_creates_nothing(data_dir: Path, server: tuple[str, Library]) -> None:
    url, library = server
    result = run(
        data_dir,
        "push",
        "alice",
        "discover-weekly",
        "--playlist",
        "discover-weekly-2026-W48",
        "--subsonic-url",
        url,
        "--subsonic-user",
        "navi",
        "--subsonic-password",
        "s3cret pass",
    )
    assert result.exit_code == 1 and "none of the 1 tracks was found" in result.stderr
    assert library.created == []


def test_unreachable_and_non_subsonic_servers(data_dir: Path, server: tuple[str, Library]) -> None:
    url, _ = server
    not_subsonic = push(data_dir, url + "/music")
    assert not_subsonic.exit_code == 1
    assert "ping answered HTTP 404 without a Subsonic response; is this the server's base URL?" in (
        not_subsonic.stderr
    )
    closed = push(data_dir, "http://127.0.0.1:9")
    assert closed.exit_code == 1 and "cannot reach the Subsonic server at http://127.0.0.1:9" in closed.stderr
