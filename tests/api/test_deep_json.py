"""Regression (found by fuzzing): a JSON body nested deeper than the decoder's recursion limit was a 500
(RecursionError) on every router that parses JSON by hand; it is a 400 in that router's error shape."""

from __future__ import annotations

from tests.conftest import LiveServer

DEEP = b'{"events": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
UNCLOSED = b"[" * 10_000


def test_native_events(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        for body in (DEEP, UNCLOSED):
            response = client.post("/v1/events", content=body, headers={"Content-Type": "application/json"})
            assert response.status_code == 400, response.text
            answer = response.json()
            assert answer["ok"] is False and answer["errors"][0]["type"] == "invalid_json"
        lines = b'{"type": "play"}\n' + UNCLOSED + b"\n"
        response = client.post("/v1/events", content=lines, headers={"Content-Type": "application/x-ndjson"})
        assert response.status_code == 400, response.text  # the one bad line is that item's error
        assert [e["type"] for e in response.json()["errors"]][-1] == "invalid_json"


def test_listenbrainz_submit(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        response = client.post("/1/submit-listens", content=UNCLOSED)
        assert response.status_code == 400, response.text
        assert set(response.json()) == {"code", "error"} and response.json()["code"] == 400


def test_spotify_playlists(live_server: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {live_server.user_token}", "Content-Type": "application/json"}
    with live_server.client() as client:
        response = client.post("/spotify/v1/me/playlists", content=UNCLOSED, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["status"] == 400


def test_maloja_newscrobble(live_server: LiveServer) -> None:
    with live_server.client() as client:
        headers = {"Content-Type": "application/json"}
        response = client.post("/apis/mlj_1/newscrobble", content=UNCLOSED, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["status"] == "failure"
    assert response.json()["error"]["type"] == "malformed_request"
