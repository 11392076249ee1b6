"""GET /v1/users/{user}/top/{kind}: real plays through /v1/events, read back over three horizons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tastemaker.storage.models import Track
from tests.conftest import LiveServer

NOW = datetime.now(UTC).replace(microsecond=0)
TRACKS = [
    Track(
        track_id="t-old1", name="Old One", artist_name="Oldies", genres=["jazz", "soul"], duration_ms=200_000
    ),
    Track(track_id="t-old2", name="Old Two", artist_name="Oldies", genres=["jazz"], duration_ms=200_000),
    Track(track_id="t-new", name="New One", artist_name="Newcomer", genres=["techno"], duration_ms=200_000),
]


def event(kind: str, track_id: str, days_ago: float, n: int) -> dict[str, Any]:
    ts = NOW - timedelta(days=days_ago, minutes=n)
    return {
        "type": kind,
        "user_id": "alice",
        "track_id": track_id,
        "ts": ts.isoformat().replace("+00:00", "Z"),
        "event_id": f"e-{kind}-{track_id}-{n}",
        "ms_played": 200_000 if kind == "play" else 5_000,
    }


# Oldies: 6 plays two months ago (strong over the long horizon, faded from the short one);
# Newcomer: 2 plays today (the short horizon's favourite). A skip is not a play.
EVENTS = [
    *(event("play", "t-old1", 60, n) for n in range(4)),
    *(event("play", "t-old2", 60, n) for n in range(10, 12)),
    *(event("play", "t-new", 0.01, n) for n in range(2)),
    event("skip", "t-new", 0.01, 5),
]


@pytest.fixture
def listened(live_server: LiveServer) -> LiveServer:
    live_server.platform.store.put_tracks(TRACKS)
    with live_server.client(live_server.user_token) as alice:
        response = alice.post("/v1/events", json={"events": EVENTS})
        assert response.status_code == 202 and response.json()["ok"] is True, response.text
    live_server.wait_consumers()
    return live_server


def top(server: LiveServer, kind: str, time_range: str, **params: Any) -> list[dict[str, Any]]:
    with server.client(server.user_token) as alice:
        response = alice.get(f"/v1/users/alice/top/{kind}", params={"time_range": time_range, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["kind"], body["time_range"]) == (kind, time_range)
    items: list[dict[str, Any]] = body["items"]
    return items


def test_short_term_follows_recent_plays_and_medium_term_the_long_horizon(listened: LiveServer) -> None:
    short = top(listened, "artists", "short_term")
    medium = top(listened, "artists", "medium_term")
    assert [item["id"] for item in short] == ["Newcomer", "Oldies"]
    assert [item["id"] for item in medium] == ["Oldies", "Newcomer"]
    assert all(item["name"] == item["id"] and item["score"] > 0 for item in short + medium)
    assert [item["id"] for item in top(listened, "genres", "short_term")] == ["techno", "jazz", "soul"]
    assert [item["id"] for item in top(listened, "genres", "medium_term")] == ["jazz", "soul", "techno"]
    tracks = top(listened, "tracks", "short_term")
    assert tracks[0] == {**tracks[0], "id": "t-new", "name": "New One", "artist_name": "Newcomer"}
    assert "plays" not in tracks[0]


def test_long_term_counts_every_play_of_the_history(listened: LiveServer) -> None:
    tracks = top(listened, "tracks", "long_term")
    assert [(t["id"], t["plays"], t["name"], t["artist_name"]) for t in tracks] == [
        ("t-old1", 4, "Old One", "Oldies"),
        ("t-new", 2, "New One", "Newcomer"),  # the skip does not count; ties go by id
        ("t-old2", 2, "Old Two", "Oldies"),
    ]
    assert [t["score"] for t in tracks] == [0.5, 0.25, 0.25]
    artists = top(listened, "artists", "long_term")
    assert [(a["id"], a["name"], a["plays"]) for a in artists] == [
        ("Oldies", "Oldies", 6),
        ("Newcomer", "Newcomer", 2),
    ]
    genres = top(listened, "genres", "long_term")
    assert [(g["id"], g["plays"]) for g in genres] == [("jazz", 6), ("soul", 4), ("techno", 2)]
    assert [t["id"] for t in top(listened, "tracks", "long_term", limit=1)] == ["t-old1"]


def test_a_listener_without_plays_has_empty_lists(live_server: LiveServer) -> None:
    for time_range in ("short_term", "medium_term", "long_term"):
        assert top(live_server, "artists", time_range) == []


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/v1/users/alice/top/albums", {}, "kind"),
        ("/v1/users/alice/top/artists", {"time_range": "forever"}, "time_range"),
        ("/v1/users/alice/top/artists", {"limit": "0"}, "limit"),
        ("/v1/users/alice/top/artists", {"limit": "51"}, "limit"),
        ("/v1/users/alice/top/artists", {"limit": "many"}, "limit"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    live_server: LiveServer, path: str, params: dict[str, str], parameter: str
) -> None:
    with live_server.client(live_server.user_token) as alice:
        response = alice.get(path, params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["ok"] is False and body["errors"][0]["loc"][-1] == parameter


def test_a_user_token_may_not_read_another_user(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as alice:
        response = alice.get("/v1/users/bob/top/artists")
    assert response.status_code == 403 and response.json()["status"] == 403
    with live_server.client(live_server.admin_token) as root:
        assert root.get("/v1/users/bob/top/artists").json()["items"] == []
