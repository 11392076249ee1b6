"""The Last.fm 2.0 and Maloja APIs over loopback HTTP, as raw form posts."""

from __future__ import annotations

import hashlib
import time
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest

from tastemaker.accounts import set_scrobble_password
from tastemaker.api.routers.lastfm_auth import signature
from tastemaker.config import BY_NAME
from tests.conftest import LiveServer

DEFAULT_API_KEY = BY_NAME["lastfm_api_key"].default
DEFAULT_SHARED_SECRET = BY_NAME["lastfm_shared_secret"].default

PASSWORD = "correct horse"


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def call(server: LiveServer, params: dict[str, str], *, sign: bool = True) -> httpx.Response:
    data = {"api_key": DEFAULT_API_KEY, **params}
    if sign:
        data["api_sig"] = signature(data, DEFAULT_SHARED_SECRET)
    with server.client() as client:
        return client.post("/2.0/", data=data)


def error_code(response: httpx.Response) -> int:
    root = ET.fromstring(response.content)
    assert root.tag == "lfm" and root.get("status") == "failed"
    return int(root.find("error").get("code", ""))  # type: ignore[union-attr]


@pytest.fixture
def sk(live_server: LiveServer) -> str:
    set_scrobble_password(live_server.platform.store, "alice", PASSWORD)
    response = call(
        live_server, {"method": "auth.getMobileSession", "username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return ET.fromstring(response.content).findtext("session/key") or ""


def test_mobile_session_with_password_and_auth_token(live_server: LiveServer, sk: str) -> None:
    token = md5("alice" + md5(PASSWORD))
    response = call(live_server, {"method": "auth.getMobileSession", "username": "alice", "authToken": token})
    root = ET.fromstring(response.content)
    assert root.get("status") == "ok" and root.findtext("session/name") == "alice"
    assert root.findtext("session/key") != sk


def test_errors_have_lastfm_codes(live_server: LiveServer, sk: str) -> None:
    bad = call(live_server, {"method": "auth.getMobileSession", "username": "alice", "password": "nope"})
    assert (bad.status_code, error_code(bad)) == (403, 4)
    scrobble = {"method": "track.scrobble", "artist": "A", "track": "T", "timestamp": str(int(time.time()))}
    assert error_code(call(live_server, {**scrobble, "sk": sk + "00"})) == 9
    assert error_code(call(live_server, {**scrobble, "sk": "zz"})) == 9
    unsigned = call(live_server, {**scrobble, "sk": sk, "api_sig": "0" * 32}, sign=False)
    assert error_code(unsigned) == 13
    assert error_code(call(live_server, {"method": "track.love", "sk": sk})) == 6
    assert error_code(call(live_server, {"method": "no.such"})) == 3
    assert error_code(call(live_server, {"method": "track.scrobble", "api_key": "x", "sk": sk})) == 10
    json_error = call(live_server, {"method": "no.such", "format": "json"})
    assert json_error.status_code == 400 and json_error.json() == {
        "error": 3,
        "message": "Invalid Method - No method with that name in this package",
    }


def test_batch_of_50_with_invalid_items_and_duplicates(live_server: LiveServer, sk: str) -> None:
    now = int(time.time())
    params: dict[str, str] = {"method": "track.scrobble", "sk": sk}
    for i in range(50):
        params |= {
            f"artist[{i}]": f"Artist {i % 5}",
            f"track[{i}]": f"Song {i}",
            f"timestamp[{i}]": str(now - i * 60),
        }
        params[f"duration[{i}]"] = "200"
    params["timestamp[3]"] = str(now + 86400)  # too new
    params["timestamp[4]"] = "100"  # before 2002
    params["artist[5]"] = ""
    response = call(live_server, params)
    root = ET.fromstring(response.content)
    assert root.find("scrobbles").attrib == {"accepted": "47", "ignored": "3"}  # type: ignore[union-attr]
    codes = [m.get("code") for m in root.iter("ignoredMessage")]
    assert (codes[3], codes[4], codes[5], codes.count("0")) == ("4", "3", "1", 47)
    again = call(live_server, params)  # a client retrying the same batch
    assert ET.fromstring(again.content).find("scrobbles").get("accepted") == "47"  # type: ignore[union-attr]
    live_server.wait_consumers()
    with live_server.client(live_server.user_token) as client:
        listens = client.get("/v1/users/alice/listens", params={"count": 100}).json()
    assert listens["total"] == 47
    assert {x["ms_played"] for x in listens["listens"]} == {200_000}


def test_now_playing_recent_love_and_tops(live_server: LiveServer, sk: str) -> None:
    now = int(time.time())
    for i, (artist, track) in enumerate([("Low", "Words"), ("Low", "Words"), ("Can", "Vitamin C")]):
        call(
            live_server,
            {
                "method": "track.scrobble",
                "sk": sk,
                "artist": artist,
                "track": track,
                "timestamp": str(now - 600 * (i + 1)),
            },
        )
    playing = call(
        live_server, {"method": "track.updateNowPlaying", "sk": sk, "artist": "Can", "track": "Halleluhwah"}
    )
    assert ET.fromstring(playing.content).findtext("nowplaying/track") == "Halleluhwah"
    assert (
        call(
            live_server, {"method": "track.love", "sk": sk, "artist": "Can", "track": "Vitamin C"}
        ).status_code
        == 200
    )
    live_server.wait_consumers()
    recent = ET.fromstring(
        call(live_server, {"method": "user.getRecentTracks", "sk": sk, "limit": "2"}).content
    )
    tracks = recent.findall("recenttracks/track")
    assert [t.get("nowplaying") for t in tracks] == ["true", None, None]
    assert [t.findtext("name") for t in tracks] == ["Halleluhwah", "Words", "Words"]
    assert recent.find("recenttracks").get("totalPages") == "2"  # type: ignore[union-attr]
    liked = live_server.platform.store.get_playlists("alice", "liked")
    names = live_server.platform.store.get_tracks(liked[0].track_ids)
    assert [t.name for t in names.values()] == ["Vitamin C"]
    artists = call(
        live_server, {"method": "user.getTopArtists", "sk": sk, "period": "7day", "format": "json"}
    )
    body: dict[str, Any] = artists.json()["topartists"]
    assert [(a["name"], a["playcount"], a["@attr"]["rank"]) for a in body["artist"]] == [
        ("Low", "2", "1"),
        ("Can", "1", "2"),
    ]
    tops = ET.fromstring(call(live_server, {"method": "user.getTopTracks", "sk": sk}).content)
    assert [t.findtext("name") for t in tops.iter("track")] == ["Words", "Vitamin C"]
    assert error_code(call(live_server, {"method": "user.getTopTracks", "sk": sk, "period": "2day"})) == 6
    assert error_code(call(live_server, {"method": "user.getRecentTracks", "user": "root", "sk": sk})) == 17


def test_maloja_newscrobble(live_server: LiveServer) -> None:
    with live_server.client() as client:
        ok = client.post(
            "/apis/mlj_1/newscrobble",
            json={
                "artists": ["Low"],
                "title": "Words",
                "duration": 200,
                "time": int(time.time()) - 60,
                "key": live_server.user_token,
            },
        )
        assert ok.status_code == 200 and ok.json()["status"] == "success"
        bad_key = client.post(
            "/apis/mlj_1/newscrobble", json={"artist": "Low", "title": "Words", "key": "tm_x"}
        )
        assert bad_key.status_code == 401 and bad_key.json()["error"]["type"] == "authentication_fail"
        untitled = client.post(
            "/apis/mlj_1/newscrobble", json={"artist": "Low", "key": live_server.user_token}
        )
        assert untitled.status_code == 400 and untitled.json()["error"]["value"] == ["title"]
        assert client.get("/apis/mlj_1/serverinfo").json()["name"] == "Tastemaker"
    live_server.wait_consumers()
    listens = live_server.platform.store.listen_days("alice")
    assert sum(n for _, n in listens) == 1
