"""Object-level authorization: alice's token against every route that names another user.

The routes come from the app itself (every path parameter that names a user, or an object whose id
carries its owner, like a Spotify playlist id), so a new user route is covered without editing this
test. Each one is called over real HTTP with alice's token on bob's path (403, or 404 where a route
hides whether the user exists, never with bob's data in the body), with no token (401), and with bob's
own token (neither 401 nor 403: the route is reachable, so alice's 403 comes from the ownership check
and not from something else).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from litestar.routes import HTTPRoute

from tastemaker.accounts import create_user
from tastemaker.api.app import create_app
from tastemaker.api.routers.spotify_ids import encode_id
from tastemaker.api.routers.spotify_playlists import USER_KIND, playlist_spotify_id
from tests.conftest import LiveServer

USER_PARAMS = frozenset({"user_id", "user_name", "user", "name", "owner", "username"})
"""Path parameters that name a user; a new route must use one of these names to be covered."""
OWNED_PARAMS: dict[str, Callable[[str], str]] = {
    "playlist_id": lambda owner: playlist_spotify_id(owner, USER_KIND, "pl_0123456789abcdef"),
}
"""Path parameters naming an object whose id carries its owner: the id of an object of bob's."""
HIDDEN_EXISTENCE = {"/v1/demo/listeners/{user_id:str}/token"}
"""Routes that answer 404 to everyone outside demo mode (the demo router hides itself), token or not."""
SAMPLE = {"year": str(datetime.now(UTC).year), "card": "top-artists.svg", "kind": "artists"}
"""Values for the other path parameters, valid enough that the request reaches the handler."""
SECRET_SONG = "Bobs Secret Song 7f3a"
MIN_CALLS = 20


def user_routes(live_server: LiveServer) -> list[tuple[str, str]]:
    """(method, path template) of every route with a user path parameter, OPTIONS aside."""
    app = create_app(live_server.platform, run_consumers=False)
    found: list[tuple[str, str]] = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and (USER_PARAMS | set(OWNED_PARAMS)) & set(route.path_parameters):
            found += [(str(m), route.path) for m in sorted(route.methods) if m != "OPTIONS"]
    return sorted(found, key=lambda item: item[0] == "DELETE")  # bob's own DELETE may end bob: last


def fill(template: str, user: str) -> str:
    """The path for ``user``; the Spotify routes take ids in Spotify's alphabet (``spotify_ids``)."""
    user_value = encode_id(user) if template.startswith("/spotify/") else user

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in OWNED_PARAMS:
            return OWNED_PARAMS[name](user)
        return user_value if name in USER_PARAMS else SAMPLE[name]

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, template)


def call(client: httpx.Client, method: str, path: str) -> httpx.Response:
    if method in ("GET", "HEAD"):
        return client.request(method, path)
    return client.request(method, path, json={})


def test_alice_cannot_reach_any_route_of_bob(live_server: LiveServer) -> None:
    bob_token = create_user(live_server.platform.store, "bob")
    play = {"type": "play", "ts": "2025-03-01T12:00:00Z", "track_name": SECRET_SONG, "artist_name": "Bobby"}
    with live_server.client(bob_token) as bob:
        assert bob.post("/v1/events", json={"events": [play]}).status_code == 202
    live_server.wait_consumers()
    routes = user_routes(live_server)
    assert len(routes) >= MIN_CALLS, routes
    checked = []
    with (
        live_server.client(live_server.user_token) as alice,
        live_server.client() as anonymous,
        live_server.client(bob_token) as bob,
    ):
        for method, template in routes:
            path = fill(template, "bob")
            where = f"{method} {path}"
            response = call(alice, method, path)
            assert SECRET_SONG not in response.text, where
            if template in HIDDEN_EXISTENCE:
                assert response.status_code == 404, (where, response.text)
                assert call(anonymous, method, path).status_code == 404, where
                continue
            assert response.status_code == 403, (where, response.status_code, response.text)
            assert call(anonymous, method, path).status_code == 401, where
            own = call(bob, method, path)
            gone = method == "DELETE" and live_server.platform.store.get_user("bob") is None
            assert own.status_code not in (401, 403) or gone, (where, own.status_code, own.text)
            checked.append(where)
    assert len(checked) >= MIN_CALLS - len(HIDDEN_EXISTENCE), checked


def test_the_matrix_finds_every_kind_of_user_parameter(live_server: LiveServer) -> None:
    """Guards the discovery itself: native, ListenBrainz, Spotify and Wrapped routes are all in it."""
    templates = {t for _, t in user_routes(live_server)}
    for expected in (
        "/v1/users/{user_id:str}/listens",
        "/1/user/{user_name:str}/listens",
        "/spotify/v1/users/{user_id:str}/playlists",
        "/v1/users/{user_id:str}/wrapped/{year:int}/cards/{card:str}",
        "/v1/users/{user_id:str}/dj/next",
        "/spotify/v1/playlists/{playlist_id:str}/items",
    ):
        assert expected in templates
    assert (
        fill("/v1/users/{user_id:str}/wrapped/{year:int}", "bob") == f"/v1/users/bob/wrapped/{SAMPLE['year']}"
    )
