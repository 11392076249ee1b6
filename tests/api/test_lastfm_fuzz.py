"""Random methods and parameters against /2.0/ and Maloja: never a 5xx, every failure in the API's shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tastemaker.config import BY_NAME
from tests.conftest import LiveServer

DEFAULT_API_KEY = BY_NAME["lastfm_api_key"].default

METHODS = st.sampled_from(
    [
        "auth.getMobileSession",
        "track.scrobble",
        "track.updateNowPlaying",
        "track.love",
        "user.getRecentTracks",
        "user.getTopArtists",
        "user.getTopTracks",
        "nope",
        "",
    ]
)
NAMES = st.sampled_from(
    [
        "artist",
        "track",
        "timestamp",
        "artist[0]",
        "track[0]",
        "timestamp[0]",
        "artist[99]",
        "duration[0]",
        "sk",
        "api_sig",
        "username",
        "password",
        "authToken",
        "limit",
        "page",
        "period",
        "from",
        "to",
        "format",
        "user",
    ]
)
VALUES = st.text(max_size=20) | st.integers(-(2**40), 2**40).map(str) | st.just("json")


def _check_lastfm(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        if response.headers["content-type"].startswith("application/json"):
            assert set(response.json()) == {"error", "message"}
        else:
            root = ET.fromstring(response.content)
            assert root.get("status") == "failed" and root.find("error") is not None


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=METHODS, params=st.dictionaries(NAMES, VALUES, max_size=6), get=st.booleans())
def test_lastfm_fuzz(live_server: LiveServer, method: str, params: dict[str, str], get: bool) -> None:
    data = {"api_key": DEFAULT_API_KEY, "method": method, **params}
    with live_server.client() as client:
        response = client.get("/2.0/", params=data) if get else client.post("/2.0/", data=data)
    _check_lastfm(response)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
FIELDS = st.sampled_from(["artist", "artists", "title", "album", "duration", "length", "time", "key"])


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.dictionaries(FIELDS, JSON, max_size=6) | JSON, keyed=st.booleans())
def test_maloja_fuzz(live_server: LiveServer, body: object, keyed: bool) -> None:
    if keyed and isinstance(body, dict):
        body["key"] = live_server.user_token
    with live_server.client() as client:
        response = client.post("/apis/mlj_1/newscrobble", json=body)
    assert response.status_code < 500, response.text
    document = response.json()
    assert document["status"] == ("success" if response.status_code == 200 else "failure")
