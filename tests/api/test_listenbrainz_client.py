"""The real liblistenbrainz client against Tastemaker over loopback, with only its base URL changed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from liblistenbrainz import Listen, ListenBrainz
from liblistenbrainz.errors import InvalidAuthTokenException

from tests.conftest import LiveServer


def client_for(live_server: LiveServer, token: str) -> ListenBrainz:
    client = ListenBrainz(api_base_url=live_server.url)  # the constructor argument it documents
    client.set_auth_token(token)  # checks the token against GET /1/validate-token
    return client


def test_liblistenbrainz_round_trip(live_server: LiveServer) -> None:
    with pytest.raises(InvalidAuthTokenException):
        client_for(live_server, "tm_not_a_token")
    client = client_for(live_server, live_server.user_token)  # 0.7 validates tokens in set_auth_token

    now = int(datetime.now(UTC).timestamp())
    first = Listen(
        track_name="Jóga",
        artist_name="Björk",
        release_name="Homogenic",
        listened_at=now - 3600,
        recording_mbid="8f2ac0b8-0000-4000-8000-000000000001",
        additional_info={"duration_ms": 305_000},
    )
    assert client.submit_single_listen(first) == {"status": "ok"}
    more = [
        Listen(track_name=f"Track {n}", artist_name="Sigur Rós", listened_at=now - 3000 + 60 * n)
        for n in range(3)
    ]
    assert client.submit_multiple_listens(more) == {"status": "ok"}
    client.submit_playing_now(Listen(track_name="Hoppípolla", artist_name="Sigur Rós"))
    live_server.wait_consumers()

    listens = client.get_listens("alice")
    assert [listen.track_name for listen in listens] == ["Track 2", "Track 1", "Track 0", "Jóga"]
    assert listens[-1].release_name == "Homogenic" and listens[-1].listened_at == now - 3600
    assert listens[-1].recording_mbid == "8f2ac0b8-0000-4000-8000-000000000001"
    assert [listen.track_name for listen in client.get_listens("alice", max_ts=now - 2940, count=1)] == [
        "Track 0"
    ]
    assert client.get_user_listen_count("alice") == 4
    playing = client.get_playing_now("alice")
    assert playing is not None and playing.track_name == "Hoppípolla"

    artists = client.get_user_artists("alice", time_range="this_year")
    assert artists is not None
    assert [(a["artist_name"], a["listen_count"]) for a in artists["payload"]["artists"]] == [
        ("Sigur Rós", 3),
        ("Björk", 1),
    ]
    recordings = client.get_user_recordings("alice", count=1)
    assert recordings is not None and recordings["payload"]["total_recording_count"] == 4

    with live_server.client(live_server.user_token) as http:
        profile = http.get("/v1/users/alice/profile")
    assert profile.status_code == 200, profile.text
    assert "Björk" in profile.text and "Sigur Rós" in profile.text
    assert client.get_user_recommendation_recordings("alice") is None  # no trained model yet: 204
