"""The real spotipy client against the Spotify-compatible router, set up as docs/integrations/spotify.md
says: ``spotipy.Spotify(auth=token)`` with ``sp.prefix`` pointing at the server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler

from tastemaker.api.routers.spotify_ids import decode_id, encode_id
from tests.api.test_spotify_api import World, bearer, play, post_events, tempo_of
from tests.api.test_spotify_api import config as config  # the fixtures of the trained world
from tests.api.test_spotify_api import live_server as live_server
from tests.api.test_spotify_api import world as world
from tests.conftest import LiveServer


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as opened:
        yield opened


@pytest.fixture
def sp(live_server: LiveServer, session: requests.Session) -> spotipy.Spotify:
    client = spotipy.Spotify(auth=live_server.user_token, requests_session=session, retries=0)
    client.prefix = f"{live_server.url}/spotify/v1/"
    return client


def test_withdrawn_audio_endpoints(sp: spotipy.Spotify, world: World) -> None:
    _, model, result = world
    ids = [encode_id(t) for t in model.item_ids[:99]] + [encode_id("tm:unknown")]
    with pytest.warns(DeprecationWarning):
        features = sp.audio_features(ids)
    assert len(features) == 100 and features[-1] is None
    assert [f["id"] for f in features[:99]] == ids[:99]
    assert features[5]["tempo"] == tempo_of(model.item_ids[5])
    with pytest.warns(DeprecationWarning):
        analysis = sp.audio_analysis(f"spotify:track:{ids[0]}")
    assert analysis["track"]["tempo"] == result.analysis.track.tempo if result.analysis else False


def test_recommendations_with_tunables(sp: spotipy.Spotify, world: World) -> None:
    model = world[1]
    seed = encode_id(model.item_ids[0])
    with pytest.warns(DeprecationWarning):
        body = sp.recommendations(
            seed_tracks=[seed], limit=25, target_energy=0.5, max_tempo=120, country="SE"
        )
    assert len(body["tracks"]) == 25 and body["seeds"][0]["id"] == seed
    assert all(tempo_of(decode_id(t["id"])) <= 120 for t in body["tracks"])
    with pytest.warns(DeprecationWarning), pytest.raises(spotipy.SpotifyException) as caught:
        sp.recommendations(seed_tracks=[seed] * 3, seed_genres=["a", "b", "c"])
    assert caught.value.http_status == 400 and "6 seeds" in caught.value.msg


def test_tracks_me_and_top(sp: spotipy.Spotify, live_server: LiveServer, world: World) -> None:
    model = world[1]
    post_events(
        live_server, live_server.user_token, [play(t, n) for n, t in enumerate(model.item_ids[30:33])]
    )
    first = encode_id(model.item_ids[30])
    assert sp.track(first)["id"] == first
    assert sp.track(f"spotify:track:{first}")["uri"] == f"spotify:track:{first}"
    several = sp.tracks([first, encode_id("tm:unknown")])["tracks"]
    assert several[0]["id"] == first and several[1] is None
    me = sp.current_user()
    assert me["display_name"] == "alice" and decode_id(me["id"]) == "alice"
    top = sp.current_user_top_tracks(limit=2, time_range="short_term")
    assert top["total"] == 3 and len(top["items"]) == 2
    following = sp.next(top)
    assert following is not None and following["offset"] == 2 and len(following["items"]) == 1
    recent = sp.current_user_recently_played(limit=2)
    assert recent["items"][0]["track"]["id"] == first
    with pytest.raises(spotipy.SpotifyException) as caught:
        sp.track("0")
    assert caught.value.http_status == 400 and "invalid track id" in caught.value.msg


def test_playlist_create_and_add_round_trip(
    sp: spotipy.Spotify, live_server: LiveServer, world: World
) -> None:
    model = world[1]
    tracks = model.item_ids[40:45]
    me = sp.current_user()["id"]
    with pytest.warns(DeprecationWarning):
        created = sp.user_playlist_create(me, "Road trip", public=False, description="by spotipy")
    assert created["name"] == "Road trip" and created["owner"]["id"] == me
    sp.playlist_add_items(created["id"], [encode_id(t) for t in tracks[:3]])
    sp.playlist_add_items(created["id"], [f"spotify:track:{encode_id(t)}" for t in tracks[3:]], position=0)
    second = sp.current_user_playlist_create("Second")
    live_server.wait_consumers()
    stored = {p.name: p for p in live_server.platform.store.get_playlists("alice", "user")}
    assert stored["Road trip"].description == "by spotipy" and "Second" in stored
    assert stored["Road trip"].track_ids == [*tracks[3:], *tracks[:3]]
    read = sp.playlist(created["id"])
    assert [decode_id(item["track"]["id"]) for item in read["tracks"]["items"]] == stored[
        "Road trip"
    ].track_ids
    with bearer(live_server, live_server.user_token) as client:
        assert client.get(f"playlists/{second['id']}").json()["tracks"]["total"] == 0


def test_client_credentials_flow(live_server: LiveServer, session: requests.Session) -> None:
    """spotipy's own client-credentials manager, pointed at the token endpoint, yields a working token."""
    manager = spotipy.SpotifyClientCredentials(
        client_id="alice",
        client_secret=live_server.user_token,
        cache_handler=MemoryCacheHandler(),
        requests_session=session,
    )
    manager.OAUTH_TOKEN_URL = f"{live_server.url}/spotify/api/token"
    client = spotipy.Spotify(client_credentials_manager=manager, requests_session=session, retries=0)
    client.prefix = f"{live_server.url}/spotify/v1/"
    assert client.current_user()["display_name"] == "alice"
