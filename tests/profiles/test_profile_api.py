"""GET /v1/users/{user}/profile serves the v2 parts, over real loopback HTTP with the real consumers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import LiveServer
from tests.profiles.listening import Listening, audio_features


def test_profile_endpoint_serves_features_embeddings_and_personality(live_server: LiveServer) -> None:
    world = Listening(live_server.platform, datetime(2025, 3, 1, tzinfo=UTC))
    for i in range(4):
        world.track(
            f"t{i}",
            artist=f"Artist {i}",
            release_date="2025-02-01",
            popularity=30.0,
            features=audio_features(energy=0.9, danceability=0.8, key=9),
            vector=[1.0] + [0.0] * 11,
        )
    plays = [
        {"type": "play", "track_id": f"t{i}", "ms_played": 200_000, "ts": f"2025-03-01T12:0{i}:00Z"}
        for i in range(4)
    ]
    with live_server.client(live_server.user_token) as client:
        assert client.post("/v1/events", json={"events": plays}).status_code == 202
        live_server.wait_consumers()
        profile = client.get("/v1/users/alice/profile").json()
    long_term = profile["audio_features"]["long_term"]
    assert list(long_term) == [
        "acousticness",
        "danceability",
        "energy",
        "instrumentalness",
        "key",
        "liveness",
        "loudness",
        "mode",
        "speechiness",
        "tempo",
        "time_signature",
        "valence",
    ]
    assert long_term["energy"] == {"mean": 0.9, "std": 0.0}
    assert long_term["key"] == {"mean": 9, "circular_variance": 0.0}
    assert profile["audio_features"]["evidence"]["long_term"] > 0
    audio = profile["embeddings"]["audio"]
    assert audio["dim"] == 12 and audio["long_term"][0] == pytest.approx(1.0)
    personality = profile["personality"]
    assert set(personality) == {
        "familiarity_exploration",
        "loyalty_variety",
        "timelessness_newness",
        "commonality_uniqueness",
        "code",
    }
    assert personality["familiarity_exploration"]["score"] == 1.0
    assert personality["commonality_uniqueness"]["score"] == pytest.approx(0.4)
    assert personality["code"][0] == "E" and personality["code"][2:] == "NU"
