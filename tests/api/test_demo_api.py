"""/v1/demo: simulated listeners and their tokens, only when the server runs in demo mode.

Profiles come from real plays sent through /v1/events. A Discover Weekly is stored as the weekly job
stores one (a Playlist row of kind ``discover-weekly``) rather than trained: training a model here would
cost more than the rest of the file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tastemaker.accounts import create_user
from tastemaker.config import Config
from tastemaker.recommend import discover_weekly as dw
from tastemaker.storage.models import Playlist
from tests.conftest import LiveServer

NOW = datetime.now(UTC)


@pytest.fixture
def config(tmp_path: Path, request: pytest.FixtureRequest) -> Config:
    """The conftest's config with ``demo_mode`` on, or as the test's ``config`` parameter says."""
    demo = getattr(request, "param", True)
    flags = {"data_dir": str(tmp_path / "data"), "log_synchronous": "NORMAL", "demo_mode": demo}
    return Config.load(flags, env={})


def plays(user: str, artists: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {
            "type": "play",
            "user_id": user,
            "ts": (NOW - timedelta(hours=n + 1)).isoformat(),
            "track_name": f"Song {n}",
            "artist_name": artist,
            "ms_played": 180_000,
        }
        for artist, count in artists.items()
        for n in range(count)
    ]


@pytest.fixture
def world(live_server: LiveServer) -> LiveServer:
    """user00003 (profile and Discover Weekly), user00007 (profile only), user00009 (neither)."""
    events = plays("user00003", {"Nina Simone": 3, "Miles Davis": 1}) + plays("user00007", {"Air": 2})
    with live_server.client(live_server.admin_token) as root:
        assert root.post("/v1/events", json={"events": events}).status_code == 202
    live_server.wait_consumers()
    playlist = Playlist(
        user_id="user00003", kind=dw.KIND, playlist_id=dw.week_id(NOW), name="Discover Weekly"
    )
    live_server.platform.store.put_playlists([playlist])
    return live_server


def test_lists_listeners_with_a_profile_and_a_discover_weekly(world: LiveServer) -> None:
    with world.client() as anonymous:
        response = anonymous.get("/v1/demo")
    assert response.status_code == 200
    assert response.json() == {
        "demo": True,
        "listeners": [{"user_id": "user00003", "plays": 4, "top_artist": "Nina Simone"}],
    }


def test_a_listener_token_is_scoped_to_that_listener(world: LiveServer) -> None:
    with world.client() as anonymous:
        response = anonymous.post("/v1/demo/listeners/user00003/token")
    assert response.status_code == 201
    body = response.json()
    assert body["user_id"] == "user00003" and body["token"].startswith("tm_")
    with world.client(body["token"]) as listener:
        me = listener.get("/v1/me").json()
        assert me == {"name": "user00003", "admin": False, "scopes": ["read", "write"]}
        assert listener.get("/v1/users/user00003/profile").json()["plays"] == 4
        assert listener.get("/v1/users/user00007/profile").status_code == 403
    with world.client() as anonymous:
        again = anonymous.post("/v1/demo/listeners/user00003/token").json()["token"]
    with world.client(body["token"]) as old, world.client(again) as new:
        assert old.get("/v1/me").status_code == 401  # a new token replaces the listener's previous one
        assert new.get("/v1/me").status_code == 200


def test_no_token_for_anyone_but_a_simulated_listener(world: LiveServer) -> None:
    create_user(world.platform.store, "user00007", admin=True, rotate=False)
    with world.client() as anonymous:
        for name in ("user00009", "alice", "root", "user00007", "user3"):
            response = anonymous.post(f"/v1/demo/listeners/{name}/token")
            assert response.status_code == 404, name
            assert response.json()["ok"] is False
    admin = world.platform.store.get_user("user00007")
    assert admin is not None and admin.admin  # still an admin, token unchanged
    assert world.platform.store.get_user("user00009") is None


@pytest.mark.parametrize("config", [False], indirect=True)
def test_everything_is_404_when_not_in_demo_mode(world: LiveServer) -> None:
    with world.client() as anonymous:
        listing = anonymous.get("/v1/demo")
        token = anonymous.post("/v1/demo/listeners/user00003/token")
    for response in (listing, token):
        assert response.status_code == 404
        assert "demo_mode" in response.json()["error"]
    assert world.platform.store.get_user("user00003") is None
