"""The ListenBrainz-compatible API over real HTTP: submissions, reads, stats, feedback and its errors."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tastemaker.accounts import create_user
from tastemaker.events.schema import Play
from tastemaker.recommend.model_files import models_dir
from tastemaker.storage.models import Track
from tests.conftest import LiveServer
from tests.recommend.trained_world import trained_world

T0 = int(datetime(2025, 3, 10, 12, tzinfo=UTC).timestamp())


def listen(n: int, *, ts: int | None = None, **additional: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "track_metadata": {
            "artist_name": ["Björk", "Sigur Rós"][n % 2],
            "track_name": f"Song {n}",
            "release_name": f"Album {n % 2}",
            "additional_info": {"duration_ms": 200_000, "submission_client": "test", **additional},
        }
    }
    if ts is not None:
        item["listened_at"] = ts
    return item


def submit(client: httpx.Client, listen_type: str, payload: list[Any]) -> httpx.Response:
    return client.post("/1/submit-listens", json={"listen_type": listen_type, "payload": payload})


def assert_lb_error(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "error"} and body["code"] == status
    assert words in body["error"], body["error"]


def test_submitted_listens_are_stored_once_and_read_back_in_listenbrainz_shape(
    live_server: LiveServer,
) -> None:
    with live_server.client(live_server.user_token) as alice:
        single = submit(alice, "single", [listen(0, ts=T0, recording_mbid="m-0", custom_key=7)])
        assert single.status_code == 200 and single.json() == {"status": "ok"}
        imported = [listen(n, ts=T0 + 600 * n) for n in range(1, 5)]
        assert submit(alice, "import", imported).json() == {"status": "ok"}
        assert submit(alice, "import", imported).status_code == 200  # a duplicate is a success
        live_server.wait_consumers()

        store = live_server.platform.store
        assert sum(n for _, n in store.listen_days("alice")) == 5
        body = alice.get("/1/user/alice/listens").json()["payload"]
        assert body["count"] == 5 and body["user_id"] == "alice" and body["latest_listen_ts"] == T0 + 2400
        assert [item["listened_at"] for item in body["listens"]] == [T0 + 600 * n for n in (4, 3, 2, 1, 0)]
        oldest = body["listens"][-1]
        assert oldest["user_name"] == "alice" and oldest["recording_msid"].startswith("tm:")
        metadata = oldest["track_metadata"]
        assert (metadata["artist_name"], metadata["track_name"], metadata["release_name"]) == (
            "Björk",
            "Song 0",
            "Album 0",
        )
        assert metadata["additional_info"]["recording_mbid"] == "m-0"

        window = alice.get("/1/user/alice/listens", params={"min_ts": T0, "max_ts": T0 + 1800})
        assert [i["listened_at"] for i in window.json()["payload"]["listens"]] == [T0 + 1200, T0 + 600]
        after = alice.get("/1/user/alice/listens", params={"min_ts": T0, "count": 2})
        assert [i["listened_at"] for i in after.json()["payload"]["listens"]] == [T0 + 1200, T0 + 600]
        before = alice.get("/1/user/alice/listens", params={"max_ts": T0 + 1200, "count": 1})
        assert [i["listened_at"] for i in before.json()["payload"]["listens"]] == [T0 + 600]
        assert alice.get("/1/user/alice/listen-count").json() == {"payload": {"count": 5}}
        assert_lb_error(alice.get("/1/user/alice/listens", params={"count": 1001}), 400, "count")

    event = next(r.event for r in live_server.platform.event_log.poll("test-reader", 100).records)
    assert event.extra["custom_key"] == 7 and event.extra["submission_client"] == "test"
    assert isinstance(event, Play) and event.ms_played == 200_000


def test_bad_submissions_get_listenbrainz_errors_and_store_nothing(live_server: LiveServer) -> None:
    too_big = listen(0, ts=T0)
    too_big["track_metadata"]["additional_info"]["notes"] = "x" * 10_300
    no_track = listen(0, ts=T0)
    del no_track["track_metadata"]["track_name"]
    cases = [
        ({"listen_type": "single", "payload": [listen(0, ts=1_033_430_399)]}, "2002-10-01"),
        ({"listen_type": "single", "payload": [no_track]}, "track_name"),
        ({"listen_type": "import", "payload": [listen(n, ts=T0 + n) for n in range(1001)]}, "Too many"),
        ({"listen_type": "single", "payload": [listen(0, ts=T0), listen(1, ts=T0)]}, "exactly one"),
        ({"listen_type": "single", "payload": [too_big]}, "10240 bytes"),
        ({"listen_type": "scrobble", "payload": [listen(0, ts=T0)]}, "listen_type"),
        ({"listen_type": "single", "payload": [listen(0)]}, "listened_at"),
        ({"listen_type": "playing_now", "payload": [listen(0, ts=T0)]}, "playing_now"),
        ({"listen_type": "single", "payload": [listen(0, ts=T0, duration_ms="long")]}, "duration_ms"),
    ]
    with live_server.client(live_server.user_token) as alice:
        for body, words in cases:
            assert_lb_error(alice.post("/1/submit-listens", json=body), 400, words)
        assert_lb_error(alice.post("/1/submit-listens", content=b"{not json"), 400, "JSON")
        limit = live_server.platform.config["max_body_bytes"]
        assert_lb_error(alice.post("/1/submit-listens", content=b" " * (limit + 1)), 413, "too large")
        raw = json.dumps({"listen_type": "single", "payload": [listen(9, ts=T0)]}).encode()
        untyped = alice.post("/1/submit-listens", content=raw, headers={"Content-Type": ""})
        assert untyped.status_code == 200, untyped.text
        live_server.wait_consumers()
    assert sum(n for _, n in live_server.platform.store.listen_days("alice")) == 1


def test_auth_errors_and_privacy(live_server: LiveServer) -> None:
    create_user(live_server.platform.store, "bob", admin=False, rotate=False)
    with (
        live_server.client() as anonymous,
        live_server.client("tm_wrong") as wrong,
        live_server.client(live_server.user_token) as alice,
        live_server.client(live_server.admin_token) as admin,
    ):
        assert_lb_error(submit(anonymous, "single", [listen(0, ts=T0)]), 401, "Authorization")
        assert_lb_error(wrong.get("/1/user/alice/listens"), 401, "token")
        assert_lb_error(alice.get("/1/user/bob/listens"), 403, "bob")
        assert_lb_error(admin.get("/1/user/nobody/listen-count"), 404, "nobody")
        assert admin.get("/1/user/bob/listen-count").json() == {"payload": {"count": 0}}

        valid = anonymous.get("/1/validate-token", params={"token": live_server.user_token}).json()
        assert valid == {"code": 200, "message": "Token valid.", "valid": True, "user_name": "alice"}
        assert alice.get("/1/validate-token").json()["user_name"] == "alice"
        invalid = wrong.get("/1/validate-token")
        assert invalid.status_code == 200
        assert invalid.json() == {"code": 200, "message": "Token invalid.", "valid": False}
        assert_lb_error(anonymous.get("/1/validate-token"), 400, "token")


def test_playing_now_is_kept_in_memory_until_it_expires(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as alice:
        assert alice.get("/1/user/alice/playing-now").json()["payload"]["count"] == 0
        assert submit(alice, "playing_now", [listen(3, duration_ms=1500)]).status_code == 200
        now = alice.get("/1/user/alice/playing-now").json()["payload"]
        assert now["count"] == 1 and now["playing_now"] is True
        assert now["listens"][0]["track_metadata"]["track_name"] == "Song 3"
        time.sleep(1.6)
        assert alice.get("/1/user/alice/playing-now").json()["payload"]["count"] == 0
        live_server.wait_consumers()
    assert live_server.platform.store.listen_days("alice") == []  # playing now is not a listen


def test_stats_count_the_plays_of_a_range(live_server: LiveServer) -> None:
    now = int(datetime.now(UTC).timestamp())
    old = int((datetime.now(UTC) - timedelta(days=800)).timestamp())
    with live_server.client(live_server.user_token) as alice:
        assert alice.get("/1/stats/user/alice/artists").status_code == 204
        payload = [listen(n % 3, ts=now - 60 * n) for n in range(6)] + [listen(7, ts=old)]
        assert submit(alice, "import", payload).status_code == 200
        live_server.wait_consumers()

        artists = alice.get("/1/stats/user/alice/artists", params={"range": "all_time"}).json()["payload"]
        assert artists["artists"] == [
            {"artist_name": "Björk", "artist_mbids": [], "listen_count": 4},
            {"artist_name": "Sigur Rós", "artist_mbids": [], "listen_count": 3},
        ]
        assert artists["total_artist_count"] == 2 and artists["range"] == "all_time"
        assert artists["from_ts"] == old and artists["to_ts"] >= now

        recent = alice.get("/1/stats/user/alice/recordings", params={"range": "this_year", "count": 1})
        body = recent.json()["payload"]
        assert body["count"] == 1 and body["total_recording_count"] == 3
        assert body["recordings"][0]["listen_count"] == 2
        releases = alice.get("/1/stats/user/alice/releases", params={"offset": 1}).json()["payload"]
        assert releases["offset"] == 1 and releases["total_release_count"] == 2
        assert_lb_error(alice.get("/1/stats/user/alice/artists", params={"range": "decade"}), 400, "range")
        assert_lb_error(alice.get("/1/stats/user/alice/artists", params={"count": 0}), 400, "count")


def test_feedback_likes_and_unlikes_the_track(live_server: LiveServer) -> None:
    store = live_server.platform.store
    with live_server.client(live_server.user_token) as alice:
        submit(alice, "single", [listen(1, ts=T0, recording_mbid="6a1d0c1e-aaaa-4bbb-8ccc-000000000001")])
        live_server.wait_consumers()
        track_id = alice.get("/1/user/alice/listens").json()["payload"]["listens"][0]["recording_msid"]

        loved = alice.post(
            "/1/feedback/recording-feedback",
            json={"recording_mbid": "6A1D0C1E-AAAA-4BBB-8CCC-000000000001", "score": 1},
        )
        assert loved.json() == {"status": "ok"}
        live_server.wait_consumers()
        assert store.get_playlists("alice", "liked")[0].track_ids == [track_id]

        cleared = alice.post("/1/feedback/recording-feedback", json={"recording_msid": track_id, "score": 0})
        assert cleared.status_code == 200
        live_server.wait_consumers()
        assert store.get_playlists("alice", "liked")[0].track_ids == []

        unknown = {"recording_mbid": "00000000-0000-0000-0000-000000000000", "score": 1}
        assert_lb_error(alice.post("/1/feedback/recording-feedback", json=unknown), 404, "no track")
        bad = {"recording_msid": track_id, "score": 2}
        assert_lb_error(alice.post("/1/feedback/recording-feedback", json=bad), 400, "score")


def test_recommendations_come_from_the_trained_model(live_server: LiveServer, tmp_path: Path) -> None:
    with live_server.client(live_server.user_token) as alice:
        assert alice.get("/1/cf/recommendation/user/alice/recording").status_code == 204  # no model yet
        checked = time.monotonic()

        _, model = trained_world(tmp_path / "world", seed=3, users=12, tracks=120)
        shutil.copytree(models_dir(tmp_path / "world"), models_dir(live_server.platform.config.data_dir))
        picks = [pick.item_id for pick in model.recommend("alice", 3)]
        live_server.platform.store.put_tracks(
            [Track(track_id=picks[1], name="Known", recording_mbid="rec-mbid-1")]
        )
        live_server.platform.tracks.remember(live_server.platform.store.get_tracks([picks[1]]).values())
        time.sleep(max(0.0, checked + 5.1 - time.monotonic()))  # the live model looks every 5 s

        response = alice.get("/1/cf/recommendation/user/alice/recording", params={"count": 3})
        assert response.status_code == 200, response.text
        payload = response.json()["payload"]
        assert [item["track_id"] for item in payload["tastemaker_tracks"]] == picks
        assert payload["mbids"] == [
            {"recording_mbid": "rec-mbid-1", "score": payload["tastemaker_tracks"][1]["score"]}
        ]
        assert payload["total_mbid_count"] == 1 and payload["count"] == 1 and payload["user_name"] == "alice"
        assert_lb_error(alice.get("/1/cf/recommendation/user/root/recording"), 403, "root")
