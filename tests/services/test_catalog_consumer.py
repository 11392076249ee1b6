"""The catalog consumer: ``track_added`` with an ``audio_url`` gets features, through the real server;
problems are recorded, never fatal; a redelivered batch analyses nothing twice."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tastemaker.audio.records import load_analysis, load_features
from tastemaker.events.schema import TrackAdded
from tastemaker.platform import Platform
from tests.audio_files import write_music
from tests.conftest import LiveServer

T0 = datetime(2025, 6, 1, tzinfo=UTC)


def track_added(n: int, audio_url: str | None) -> dict[str, Any]:
    event = {"type": "track_added", "user_id": "catalog", "ts": "2025-06-01T00:00:00Z", "track_id": f"t{n}",
             "track_name": f"Song {n}", "artist_name": "Band", "album_name": "LP"}  # fmt: skip
    return event if audio_url is None else {**event, "audio_url": audio_url}


def test_track_added_with_audio_url_is_analysed(live_server: LiveServer, tmp_path: Path) -> None:
    flac = write_music(tmp_path / "one.flac", 5.0, bpm=120)
    spaced = write_music(tmp_path / "two words.ogg", 5.0, bpm=96, tonic=7)
    (tmp_path / "notes.mp3").write_text("not audio\n" * 100)
    events = [
        track_added(1, str(flac)),
        track_added(2, "file://" + quote(str(spaced))),
        track_added(3, None),
        track_added(4, str(tmp_path / "missing.flac")),
        track_added(5, "relative/path.mp3"),
        track_added(6, str(tmp_path / "notes.mp3")),
        track_added(7, "ftp://example.org/x.mp3"),
    ]
    with live_server.client(live_server.admin_token) as client:
        response = client.post("/v1/events", json={"events": events})
        assert response.status_code == 202, response.text
        live_server.wait_consumers(60)
        health = client.get("/healthz").json()
    assert health["ok"] and health["consumers"]["catalog"] == {"lag": 0, "error": None}

    store = live_server.platform.store
    for track_id, url in (("t1", str(flac)), ("t2", "file://" + quote(str(spaced)))):
        track = store.get_track(track_id)
        assert track is not None and track.audio_url == url and track.album_name == "LP"
        features = load_features(store, track_id)
        assert features is not None and 4900 <= features.duration_ms <= 5100
        assert load_analysis(store, track_id) is not None
    t3 = store.get_track("t3")
    assert t3 is not None and t3.audio_url is None and store.get_features("t3") is None
    expected = {
        str(tmp_path / "missing.flac"): "not_found: ",
        "relative/path.mp3": "bad_url: a relative path",
        str(tmp_path / "notes.mp3"): "not_audio: ",
        "ftp://example.org/x.mp3": "bad_url: unsupported URL",
    }
    for key, error in expected.items():
        row = store.get_library_file(key)
        assert row is not None and row.error is not None and row.error.startswith(error), (key, row)
    assert all(store.get_features(f"t{n}") is None for n in (4, 5, 6, 7))


def test_redelivery_analyses_nothing_twice_but_a_changed_file_again(
    platform: Platform, tmp_path: Path
) -> None:
    audio = write_music(tmp_path / "song.wav", 4.0)
    event = TrackAdded(user_id="catalog", ts=T0, event_id="c1", track_id="t1", track_name="Song",
                       artist_name="Band", audio_url=str(audio))  # fmt: skip
    platform.event_log.append([event])
    consumer = platform.runner("catalog").consumer
    batch = platform.event_log.poll("test", 10)
    consumer.handle(batch.records)
    first = platform.store.get_library_file(str(audio))
    assert first is not None and first.error is None and first.scanned_at is not None
    consumer.handle(batch.records)  # what a crash between flush and commit causes
    assert platform.store.get_library_file(str(audio)) == first
    stat = audio.stat()
    os.utime(audio, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    consumer.handle(batch.records)
    again = platform.store.get_library_file(str(audio))
    assert again is not None and again.scanned_at is not None and again.scanned_at > first.scanned_at
