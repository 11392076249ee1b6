"""POST /v1/events and the reads behind it, over real loopback HTTP with the real consumers."""

from __future__ import annotations

from typing import Any

import msgspec

from tests.conftest import LiveServer


def play(n: int, **fields: Any) -> dict[str, Any]:
    event = {
        "type": "play",
        "ts": f"2025-03-01T12:{n // 60:02d}:{n % 60:02d}Z",
        "track_name": f"Song {n % 7}",
        "artist_name": f"Artist {n % 3}",
        "ms_played": 120_000,
    }
    return {**event, **fields}


def test_accepts_batch_and_serves_listens_and_profile(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        response = client.post("/v1/events", json={"events": [play(n) for n in range(20)]})
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["ok"] is True and len(body["accepted"]) == 20 and body["errors"] == []
        live_server.wait_consumers()
        listens = client.get("/v1/users/alice/listens", params={"count": 5}).json()
        assert listens["total"] == 20
        assert [item["ts"] for item in listens["listens"]] == sorted(
            (item["ts"] for item in listens["listens"]), reverse=True
        )
        assert listens["listens"][0]["track_name"] == "Song 5"  # n=19 is the newest
        assert listens["listens"][0]["event_id"] in body["accepted"]
        assert listens["listens"][0]["kind"] == "play" and "album_name" in listens["listens"][0]
        page2 = client.get("/v1/users/alice/listens", params={"count": 5, "offset": 5}).json()
        assert {i["event_id"] for i in page2["listens"]}.isdisjoint(i["event_id"] for i in listens["listens"])
        profile = client.get("/v1/users/alice/profile").json()
        assert profile["plays"] == 20 and profile["minutes_listened"] == 40.0
        assert profile["top_artists"]["long_term"][0]["id"].startswith("Artist")
        assert profile["top_tracks"]["long_term"][0]["name"].startswith("Song")
        track_id = listens["listens"][0]["track_id"]
        track = client.get(f"/v1/tracks/{track_id}").json()
        assert track["name"] == "Song 5" and track["artist_name"] == "Artist 1"


def test_same_event_twice_is_stored_and_counted_once(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        first = client.post("/v1/events", json={"events": [play(1)]}).json()
        second = client.post("/v1/events", json={"events": [play(1)]}).json()
        third = client.post(
            "/v1/events", json={"events": [play(2, event_id="client-1"), play(3, event_id="client-1")]}
        )
        assert first["accepted"] == second["accepted"]
        assert third.status_code == 202
        live_server.wait_consumers()
        assert client.get("/v1/users/alice/listens").json()["total"] == 2
        assert client.get("/v1/users/alice/profile").json()["plays"] == 2


def test_bad_item_never_rejects_valid_siblings(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        events = [
            play(1),
            play(2, ts="2031-01-01T00:00:00Z"),
            play(3, ms_played="long"),
            {"type": "dance"},
            play(4),
        ]
        response = client.post("/v1/events", json={"events": events})
        assert response.status_code == 202
        body = response.json()
        assert len(body["accepted"]) == 2
        by_index = {e["loc"][1]: e for e in body["errors"]}
        assert by_index[1]["type"] == "too_far_in_future" and by_index[1]["loc"] == ["events", 1, "ts"]
        assert by_index[2]["type"] == "wrong_type" and "'long'" in by_index[2]["msg"]
        assert by_index[3]["type"] == "unknown_event_type"
        assert body["error"] == "3 of 5 events were rejected; 2 were accepted"
        live_server.wait_consumers()
        assert client.get("/v1/users/alice/listens").json()["total"] == 2


def test_ndjson_with_a_broken_line(live_server: LiveServer) -> None:
    lines = [msgspec.json.encode(play(1)), b"{not json", msgspec.json.encode(play(2))]
    with live_server.client(live_server.user_token) as client:
        response = client.post(
            "/v1/events", content=b"\n".join(lines), headers={"Content-Type": "application/x-ndjson"}
        )
        body = response.json()
        assert response.status_code == 202 and len(body["accepted"]) == 2
        assert body["errors"][0]["loc"] == ["events", 1] and body["errors"][0]["type"] == "invalid_json"


def test_user_token_is_confined_to_its_user(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        response = client.post("/v1/events", json={"events": [play(1, user_id="bob"), play(2)]})
        body = response.json()
        assert len(body["accepted"]) == 1 and body["errors"][0]["type"] == "forbidden"
        assert client.get("/v1/users/bob/listens").status_code == 403
        assert client.get("/v1/users/bob/profile").status_code == 403
    with live_server.client(live_server.admin_token) as admin:
        assert admin.post("/v1/events", json={"events": [play(3, user_id="bob")]}).status_code == 202
        live_server.wait_consumers()
        assert admin.get("/v1/users/bob/listens").json()["total"] == 1
        assert admin.get("/v1/users/alice/listens").json()["total"] == 1


def test_missing_and_wrong_tokens_are_401(live_server: LiveServer) -> None:
    with live_server.client() as client:
        assert client.get("/v1/users/alice/listens").status_code == 401
        bad = client.get("/v1/users/alice/listens", headers={"Authorization": "Token nope"})
        assert bad.status_code == 401 and "not recognised" in bad.json()["error"]
        bearer = client.get(
            "/v1/users/alice/listens", headers={"Authorization": f"Bearer {live_server.user_token}"}
        )
        assert bearer.status_code == 200


def test_body_level_rejections(live_server: LiveServer) -> None:
    cases: list[tuple[bytes, int, str]] = [
        (b"{bad json", 400, "invalid_json"),
        (b'{"events": ["\xff\xfe"]}', 400, "invalid_utf8"),
        (b'{"events": {}}', 400, "wrong_shape"),
        (b'{"events": []}', 400, "empty"),
        (b"", 400, "missing"),
        (msgspec.json.encode({"events": [play(1)] * 10_001}), 413, "too_many_events"),
    ]
    with live_server.client(live_server.user_token) as client:
        for body, status, kind in cases:
            response = client.post("/v1/events", content=body, headers={"Content-Type": "application/json"})
            assert response.status_code == status, (body[:20], response.text)
            assert response.json()["errors"][0]["type"] == kind
        nothing_valid = client.post("/v1/events", json={"events": [{"type": "play"}]})
        assert nothing_valid.status_code == 400 and nothing_valid.json()["accepted"] == []


def test_huge_body_is_413_and_server_keeps_serving(live_server: LiveServer) -> None:
    body = b'{"events": [' + b" " * (100 * 1024 * 1024) + b"]}"
    with live_server.client(live_server.user_token) as client:
        response = client.post("/v1/events", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert response.json()["status"] == 413
        assert client.post("/v1/events", json={"events": [play(1)]}).status_code == 202


def test_health_metrics_and_openapi(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        client.post("/v1/events", json={"events": [play(1)]})
        live_server.wait_consumers()
        health = client.get("/healthz").json()
        assert health["ok"] is True and health["consumers"]["profiler"]["lag"] == 0
        metrics = client.get("/metrics").text
        assert 'tastemaker_consumer_lag_events{group="archiver"} 0.0' in metrics
        assert "tastemaker_events_accepted_total 1.0" in metrics
        paths = client.get("/docs/openapi.json").json()["paths"]
        assert {"/v1/events", "/v1/users/{user_id}/listens", "/v1/users/{user_id}/profile"} <= set(paths)
