"""The Spotify-compatible router over real loopback HTTP: a trained simulated world, real events."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest

from tastemaker.api.routers.spotify_errors import SpotifyError
from tastemaker.api.routers.spotify_ids import decode_id, decode_ref, encode_id
from tastemaker.audio.model import AudioResult
from tastemaker.audio.pipeline import analyze_path
from tastemaker.audio.records import save_result
from tastemaker.config import Config
from tastemaker.platform import Platform
from tastemaker.recommend.model import Model
from tests.audio_files import write_music
from tests.conftest import LiveServer
from tests.recommend.test_seeded import features_row
from tests.recommend.trained_world import trained_world

ODD_ID = "tm:odd/ïd 1"
"""A track id with characters Spotify ids cannot hold, added through a ``track_added`` event."""
TRACK_KEYS = {
    "id", "name", "uri", "href", "type", "duration_ms", "artists", "album", "popularity", "external_ids",
    "explicit", "is_local", "external_urls",
}  # fmt: skip
PAGING_KEYS = {"href", "items", "limit", "next", "offset", "previous", "total"}


def tempo_of(track_id: str) -> float:
    """A made-up tempo per track, 80 to 159 BPM."""
    return 80.0 + zlib.crc32(track_id.encode()) % 80


World = tuple[Config, Model, AudioResult]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A trained model, features for every item (known tempo), and one real audio analysis."""
    config, model = trained_world(tmp_path_factory.mktemp("spotify"), seed=7)
    result = analyze_path(write_music(tmp_path_factory.mktemp("wav") / "beat.wav", 4.0, bpm=120.0))
    with Platform.open(config) as platform:
        for track_id in model.item_ids:
            platform.store.put_features(track_id, {**features_row(0.5), "tempo": tempo_of(track_id)})
        save_result(platform.store, model.item_ids[0], result)
    return config, model, result


@pytest.fixture
def config(world: World) -> Config:
    """`live_server` serves the trained world's data dir."""
    return world[0]


@pytest.fixture
def live_server(live_server: LiveServer) -> Iterator[LiveServer]:
    """conftest's server, with its users removed afterwards: the module's tests share one store."""
    yield live_server
    for name in ("root", live_server.user):
        live_server.platform.store.delete_user(name)


def bearer(server: LiveServer, token: str | None) -> httpx.Client:
    """A client that authenticates as Spotify clients do, with ``Bearer``, under the Spotify prefix."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{server.url}/spotify/v1/", headers=headers, timeout=30)


def post_events(server: LiveServer, token: str, events: list[dict[str, Any]]) -> None:
    with server.client(token) as client:
        response = client.post("/v1/events", json={"events": events})
    assert response.status_code == 202, response.text
    server.wait_consumers()


def play(track_id: str, minutes_ago: int) -> dict[str, Any]:
    ts = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {"type": "play", "track_id": track_id, "ts": ts.isoformat(), "ms_played": 180_000}


def check_error(response: httpx.Response, status: int, words: str) -> None:
    """Spotify's error shape, and nothing else, with a message that says what happened."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "message"}, body
    assert body["error"]["status"] == status and words in body["error"]["message"], body


@pytest.mark.parametrize("our_id", ["sim:t42", ODD_ID, "\x00lead", "a", "x" * 256, "🎵:é"])
def test_ids_round_trip_through_base62(our_id: str) -> None:
    spotify_id = encode_id(our_id)
    assert spotify_id.isascii() and spotify_id.isalnum()
    assert decode_id(spotify_id) == our_id
    assert decode_ref(f"spotify:track:{spotify_id}") == our_id


@pytest.mark.parametrize("bad", ["", "abc!", "0", "ZZZZZZZZ", "spotify:artist:1", "spotify:track", "é"])
def test_invalid_ids_are_400(bad: str) -> None:
    with pytest.raises(SpotifyError) as caught:
        decode_ref(bad, "track")
    assert caught.value.status == 400 and "invalid track" in caught.value.message


def test_track_artist_and_tracks_in_spotify_shape(live_server: LiveServer, world: World) -> None:
    model = world[1]
    post_events(
        live_server,
        live_server.admin_token,
        [{"type": "track_added", "user_id": "root", "ts": datetime.now(UTC).isoformat(), "track_id": ODD_ID,
          "track_name": "Odd Song", "artist_name": "Odd Artist", "album_name": "Odd Album", "isrc": "USX1"}],
    )  # fmt: skip
    odd = encode_id(ODD_ID)
    with bearer(live_server, live_server.user_token) as client:
        track = client.get(f"tracks/{odd}").json()
        assert set(track) >= TRACK_KEYS and track["id"] == odd and track["type"] == "track"
        assert track["name"] == "Odd Song" and track["external_ids"] == {"isrc": "USX1"}
        assert track["uri"] == f"spotify:track:{odd}"
        assert track["href"] == f"{live_server.url}/spotify/v1/tracks/{odd}"
        assert client.get(track["href"]).json() == track
        (artist,) = track["artists"]
        assert client.get(artist["href"]).json()["name"] == "Odd Artist"
        assert track["album"]["name"] == "Odd Album" and track["album"]["type"] == "album"
        unknown = encode_id("tm:no-such-track")
        several = client.get("tracks", params={"ids": f"{odd},{unknown},spotify:track:{odd}"}).json()
        assert [t and t["name"] for t in several["tracks"]] == ["Odd Song", None, "Odd Song"]
        at_limit = client.get("tracks", params={"ids": ",".join(encode_id(t) for t in model.item_ids[:50])})
        assert at_limit.status_code == 200 and len(at_limit.json()["tracks"]) == 50
        ids51 = ",".join(encode_id(t) for t in model.item_ids[:51])
        check_error(client.get("tracks", params={"ids": ids51}), 400, "at most 50")
        check_error(client.get("tracks"), 400, "ids is required")
        check_error(client.get("tracks/not-base62"), 400, "invalid track id")
        check_error(client.get(f"tracks/{unknown}"), 404, "tm:no-such-track")
        check_error(client.get(f"artists/{unknown}"), 404, "no artist")


def test_audio_features_and_analysis(live_server: LiveServer, world: World) -> None:
    _, model, result = world
    first = encode_id(model.item_ids[0])
    with bearer(live_server, live_server.user_token) as client:
        features = client.get(f"audio-features/{first}").json()
        assert features["id"] == first and features["type"] == "audio_features"
        assert features["tempo"] == result.features.tempo
        assert client.get(features["track_href"]).json()["id"] == first
        analysis = client.get(features["analysis_url"])
        assert analysis.json() == msgspec.to_builtins(result.analysis)
        ids = [encode_id(t) for t in model.item_ids[:99]] + [encode_id("tm:unknown")]
        several = client.get("audio-features", params={"ids": ",".join(ids)}).json()["audio_features"]
        assert [f and f["id"] for f in several] == [*ids[:99], None]
        assert several[1]["tempo"] == tempo_of(model.item_ids[1])
        check_error(client.get("audio-features", params={"ids": ",".join(ids + ids[:1])}), 400, "at most 100")
        check_error(client.get("audio-features", params={"ids": f"{first},,{first}"}), 400, "empty entry")
        check_error(client.get(f"audio-analysis/{encode_id(model.item_ids[1])}"), 404, "no audio analysis")
        check_error(client.get(f"audio-features/{encode_id('tm:unknown')}"), 404, "no audio features")


def test_recommendations_seeds_limits_and_tunables(live_server: LiveServer, world: World) -> None:
    model = world[1]
    seeds = [encode_id(t) for t in model.item_ids[:6]]
    with bearer(live_server, live_server.user_token) as client:
        body = client.get("recommendations", params={"seed_tracks": seeds[0], "limit": 30}).json()
        (seed,) = body["seeds"]
        assert seed["id"] == seeds[0] and seed["type"] == "TRACK"
        assert seed["href"] == f"{live_server.url}/spotify/v1/tracks/{seeds[0]}"
        assert seed["initialPoolSize"] >= seed["afterFilteringSize"] == seed["afterRelinkingSize"] > 0
        assert len(body["tracks"]) == 30 and set(body["tracks"][0]) >= TRACK_KEYS
        tempos = [tempo_of(decode_id(t["id"])) for t in body["tracks"]]
        slow = client.get(
            "recommendations", params={"seed_tracks": seeds[0], "limit": 30, "max_tempo": 110}
        ).json()
        assert slow["tracks"] and all(tempo_of(decode_id(t["id"])) <= 110 for t in slow["tracks"])
        assert max(tempos) > 110 and slow["seeds"][0]["afterFilteringSize"] < seed["afterFilteringSize"]
        mixed = {"seed_tracks": ",".join(seeds[:3]), "seed_artists": "", "seed_genres": "rock,pop"}
        assert client.get("recommendations", params=mixed).status_code == 200
        check_error(client.get("recommendations", params={"seed_tracks": ",".join(seeds)}), 400, "6 seeds")
        six = {"seed_tracks": ",".join(seeds[:3]), "seed_genres": "rock,pop,jazz"}
        check_error(client.get("recommendations", params=six), 400, "6 seeds")
        check_error(client.get("recommendations"), 400, "0 seeds")
        for limit in ("0", "101", "x"):
            got = client.get("recommendations", params={"seed_tracks": seeds[0], "limit": limit})
            check_error(got, 400, "limit")
        full = client.get("recommendations", params={"seed_tracks": seeds[0], "limit": 100})
        assert full.status_code == 200 and len(full.json()["tracks"]) == 100
        check_error(
            client.get("recommendations", params={"seed_tracks": seeds[0], "max_tempo": "fast"}),
            400,
            "max_tempo",
        )
        check_error(
            client.get("recommendations", params={"seed_tracks": seeds[0], "min_x": "1"}), 400, "min_x"
        )
        check_error(client.get("recommendations", params={"seed_tracks": "bad!"}), 400, "invalid track id")
        unknown = encode_id("tm:unknown")
        check_error(client.get("recommendations", params={"seed_tracks": unknown}), 404, "tm:unknown")


def test_search_pages_with_absolute_links(live_server: LiveServer, world: World) -> None:
    model = world[1]
    with Platform.open(world[0]) as platform:
        tracks = platform.store.get_tracks(model.item_ids)
    word = max(
        {w for t in tracks.values() for w in t.name.lower().split()},
        key=lambda w: sum(w in t.name.lower() for t in tracks.values()),
    )
    with bearer(live_server, live_server.user_token) as client:
        first = client.get("search", params={"q": word, "type": "track,artist", "limit": 2}).json()
        page = first["tracks"]
        assert set(page) == PAGING_KEYS and page["total"] > 2 and page["previous"] is None
        assert all(word in t["name"].lower() for t in page["items"])
        assert page["next"].startswith(f"{live_server.url}/spotify/v1/search?")
        second = client.get(page["next"]).json()["tracks"]
        assert second["offset"] == 2 and second["previous"].startswith(live_server.url)
        assert {t["id"] for t in second["items"]}.isdisjoint(t["id"] for t in page["items"])
        assert first["artists"]["items"] and set(first["artists"]) == PAGING_KEYS
        artist = tracks[model.item_ids[0]].artist_name or ""
        by_artist = client.get("search", params={"q": f"artist:{artist.split()[0]}"}).json()["tracks"]
        assert by_artist["items"] and all(
            artist.split()[0] in t["artists"][0]["name"] for t in by_artist["items"]
        )
        check_error(client.get("search", params={"q": ""}), 400, "q is required")
        check_error(client.get("search", params={"q": "a", "type": "album"}), 400, "album")
        check_error(client.get("search", params={"q": "a", "limit": "51"}), 400, "limit")


def test_me_top_and_recently_played(live_server: LiveServer, world: World) -> None:
    model = world[1]
    played = model.item_ids[10:15]
    post_events(
        live_server,
        live_server.user_token,
        [
            play(track, minutes)
            for minutes, track in enumerate(t for i, t in enumerate(played) for _ in range(i + 1))
        ],
    )
    with bearer(live_server, live_server.user_token) as client:
        me = client.get("me").json()
        assert (
            decode_id(me["id"], "user") == "alice" and me["type"] == "user" and me["display_name"] == "alice"
        )
        top = client.get("me/top/tracks", params={"time_range": "short_term", "limit": 2}).json()
        assert set(top) == PAGING_KEYS and top["total"] == 5
        with live_server.client(live_server.user_token) as native:
            profile = native.get("/v1/users/alice/profile").json()["top_tracks"]["short_term"]
        assert [decode_id(t["id"]) for t in top["items"]] == [t["id"] for t in profile[:2]]
        rest = client.get(top["next"]).json()
        assert rest["offset"] == 2 and len(rest["items"]) == 2 and rest["next"].startswith(live_server.url)
        artists = client.get("me/top/artists", params={"time_range": "long_term"}).json()
        assert artists["items"] and artists["items"][0]["type"] == "artist"
        check_error(client.get("me/top/tracks", params={"time_range": "forever"}), 400, "time_range")
        check_error(client.get("me/top/albums"), 404, "albums")
        recent = client.get("me/player/recently-played", params={"limit": 4}).json()
        assert len(recent["items"]) == 4 and recent["items"][0]["track"]["id"] == encode_id(played[0])
        times = [item["played_at"] for item in recent["items"]]
        assert times == sorted(times, reverse=True)
        older = client.get(recent["next"]).json()
        assert len(older["items"]) == 4 and older["items"][0]["played_at"] < times[-1]
        after = client.get("me/player/recently-played", params={"after": recent["cursors"]["before"]}).json()
        assert [i["played_at"] for i in after["items"]] == times[:3]
        both = {"after": 1, "before": 2}
        check_error(client.get("me/player/recently-played", params=both), 400, "not both")


def test_playlist_create_and_add_reach_the_store(live_server: LiveServer, world: World) -> None:
    model = world[1]
    tracks = model.item_ids[20:26]
    uris = [f"spotify:track:{encode_id(t)}" for t in tracks]
    with bearer(live_server, live_server.user_token) as client:
        me = client.get("me").json()["id"]
        created = client.post(
            f"users/{me}/playlists", json={"name": "Mine", "description": "d", "public": True}
        )
        assert created.status_code == 201, created.text
        playlist = created.json()
        assert playlist["name"] == "Mine" and playlist["public"] is True and playlist["type"] == "playlist"
        assert playlist["owner"]["id"] == me and playlist["href"].startswith(live_server.url)
        added = client.post(f"playlists/{playlist['id']}/tracks", json=uris[:2])  # a bare array
        assert added.status_code == 201 and added.json()["snapshot_id"], added.text
        items_url = f"playlists/{playlist['id']}/items"
        assert client.post(items_url, json={"uris": uris[2:4], "position": 0}).status_code == 201
        assert client.post(items_url, params={"uris": ",".join(uris[4:])}).status_code == 201
        check_error(client.post(items_url, json={"uris": []}), 400, "uris is required")
        check_error(client.post(items_url, json={"uris": uris[:1] * 101}), 400, "at most 100")
        check_error(client.post(items_url, json={"uris": ["spotify:episode:1"]}), 400, "invalid track URI")
        check_error(client.post(items_url, json={"uris": uris[:1], "position": -1}), 400, "position")
        check_error(client.post(items_url, content=b"{nope"), 400, "not valid JSON")
        missing = f"spotify:track:{encode_id('tm:missing')}"
        check_error(client.post(items_url, json=[missing]), 404, "tm:missing")
        check_error(client.post(f"users/{me}/playlists", json={"name": ""}), 400, "name is required")
        check_error(client.post(f"users/{me}/playlists", json=["x"]), 400, "JSON object")
        root = encode_id("root")
        check_error(client.post(f"users/{root}/playlists", json={"name": "x"}), 403, "may not access")
    live_server.wait_consumers()
    (stored,) = live_server.platform.store.get_playlists("alice", "user")
    assert stored.name == "Mine" and stored.description == "d" and stored.public is True
    assert stored.track_ids == [tracks[2], tracks[3], tracks[0], tracks[1], tracks[4], tracks[5]]
    with bearer(live_server, live_server.user_token) as client:
        read = client.get(f"playlists/{playlist['id']}").json()
        assert read["name"] == "Mine" and read["tracks"]["total"] == 6 and read["public"] is True
        assert [decode_id(i["track"]["id"]) for i in read["tracks"]["items"]] == stored.track_ids
        page = client.get(f"playlists/{playlist['id']}/items", params={"limit": 4}).json()
        assert len(page["items"]) == 4 and client.get(page["next"]).json()["offset"] == 4
    with bearer(live_server, live_server.admin_token) as admin:
        assert admin.get(f"playlists/{playlist['id']}").status_code == 200
        other = admin.post(f"users/{root}/playlists", json={"name": "Root's"}).json()["id"]
    with bearer(live_server, live_server.user_token) as client:
        check_error(client.get(f"playlists/{other}"), 403, "may not access")
        check_error(client.post(f"playlists/{other}/items", json=uris[:1]), 403, "may not access")
        check_error(client.get(f"playlists/{encode_id('no separator')}"), 400, "invalid playlist id")


def test_unrouted_paths_answer_in_each_apis_own_shape(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        spotify = client.get("/spotify/v1/no/such/route")
        assert spotify.status_code == 404 and spotify.json()["error"]["status"] == 404
        listenbrainz = client.get("/1/no-such-endpoint")
        assert listenbrainz.status_code == 404 and listenbrainz.json()["code"] == 404
        native = client.get("/v1/no-such-endpoint")
        assert native.status_code == 404 and native.json()["ok"] is False


def test_auth_errors_in_spotify_shape(live_server: LiveServer) -> None:
    with bearer(live_server, None) as anonymous:
        check_error(anonymous.get("me"), 401, "missing Authorization")
    with bearer(live_server, "tm_wrong") as wrong:
        response = wrong.get("me")
        check_error(response, 401, "not recognised")
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_client_credentials_token(live_server: LiveServer) -> None:
    url = f"{live_server.url}/spotify/api/token"
    grant = {"grant_type": "client_credentials"}
    with httpx.Client(timeout=30) as client:
        basic = client.post(url, data=grant, auth=("alice", live_server.user_token))
        assert basic.json() == {
            "access_token": live_server.user_token,
            "token_type": "Bearer",
            "expires_in": 3600,
        }
        form = client.post(url, data={**grant, "client_id": "alice", "client_secret": live_server.user_token})
        assert form.json()["access_token"] == live_server.user_token
        admin = client.post(url, data=grant, auth=("admin", live_server.platform.config["admin_token"]))
        assert admin.status_code == 200 or not live_server.platform.config["admin_token"]
        for bad, error in [
            (client.post(url, data=grant, auth=("root", live_server.user_token)), "invalid_client"),
            (client.post(url, data=grant, auth=("alice", "tm_wrong")), "invalid_client"),
            (client.post(url, data=grant), "invalid_client"),
            (
                client.post(url, data={"grant_type": "password"}, auth=("alice", "x")),
                "unsupported_grant_type",
            ),
            (client.post(url, content=b"\xff", auth=("alice", "x")), "invalid_request"),
        ]:
            assert bad.status_code == 400 and bad.json()["error"] == error and bad.json()["error_description"]
        token = basic.json()["access_token"]
        me = client.get(f"{live_server.url}/spotify/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert decode_id(me.json()["id"]) == "alice"
