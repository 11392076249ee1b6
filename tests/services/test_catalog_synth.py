"""The catalog consumer on ``synth:`` URLs: the first 30 s are rendered in the worker and really
analysed, end to end through the server; a bad URL is recorded; redelivery analyses nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tastemaker.audio.records import load_analysis, load_features
from tastemaker.audio.synth import SynthParams, synth_url
from tastemaker.catalog.scan_worker import SYNTH_ANALYSIS_S
from tastemaker.events.schema import TrackAdded
from tastemaker.platform import Platform
from tests.conftest import LiveServer

TRACKS = {
    "s1": SynthParams(tempo_bpm=124, key=7, mode=1, energy=0.8, seed=11, duration_s=212.5),
    "s2": SynthParams(tempo_bpm=96, key=9, mode=0, energy=0.3, seed=12, duration_s=95.0),
    "s3": SynthParams(tempo_bpm=132, key=2, mode=1, energy=0.6, seed=13, duration_s=20.0),
}
BAD = "synth:?tempo=124&key=7&mode=1&energy=0.8&seed=11&duration=5000"


def track_added(track_id: str, audio_url: str) -> dict[str, Any]:
    return {"type": "track_added", "user_id": "catalog", "ts": "2025-06-01T00:00:00Z", "track_id": track_id,
            "track_name": f"Song {track_id}", "artist_name": "Synth", "audio_url": audio_url}  # fmt: skip


def test_synth_tracks_are_rendered_and_analysed(live_server: LiveServer) -> None:
    events = [track_added(t, synth_url(p)) for t, p in TRACKS.items()] + [track_added("bad", BAD)]
    with live_server.client(live_server.admin_token) as client:
        response = client.post("/v1/events", json={"events": events})
        assert response.status_code == 202, response.text
        live_server.wait_consumers(60)
        assert client.get("/healthz").json()["consumers"]["catalog"] == {"lag": 0, "error": None}

    store = live_server.platform.store
    for track_id, params in TRACKS.items():
        features = load_features(store, track_id)
        assert features is not None, track_id
        assert features.duration_ms == round(params.duration_s * 1000)  # the whole track's
        assert abs(features.tempo / params.tempo_bpm - 1) < 0.03, (track_id, features.tempo)
        assert (features.key, features.mode) == (params.key, params.mode), track_id
        analysis = load_analysis(store, track_id)
        assert analysis is not None
        window = min(SYNTH_ANALYSIS_S, params.duration_s)
        assert analysis.track.duration == window
        assert analysis.track.window_seconds == (SYNTH_ANALYSIS_S if params.duration_s > window else 0)
        row = store.get_library_file(synth_url(params))
        assert row is not None and row.track_id == track_id and row.error is None
    energies = {t: f.energy for t in TRACKS if (f := load_features(store, t)) is not None}
    assert energies["s2"] < energies["s3"] < energies["s1"]
    bad = store.get_library_file(BAD)
    assert bad is not None and bad.error is not None
    assert bad.error.startswith("bad_url: duration 5000.0 s is outside 1–900 s")
    assert store.get_features("bad") is None


def test_redelivered_synth_tracks_are_not_analysed_again(platform: Platform) -> None:
    url = synth_url(TRACKS["s3"])
    event = TrackAdded(user_id="catalog", ts=datetime(2025, 6, 1, tzinfo=UTC), event_id="c1",
                       track_id="s3", track_name="Song", artist_name="Synth", audio_url=url)  # fmt: skip
    platform.event_log.append([event])
    consumer = platform.runner("catalog").consumer
    batch = platform.event_log.poll("test", 10)
    consumer.handle(batch.records)
    first = platform.store.get_library_file(url)
    assert first is not None and first.error is None
    consumer.handle(batch.records)
    assert platform.store.get_library_file(url) == first
