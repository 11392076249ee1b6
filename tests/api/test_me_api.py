"""GET /v1/me: who a token belongs to."""

from __future__ import annotations

from tests.conftest import LiveServer


def test_me_names_the_tokens_user(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as alice:
        assert alice.get("/v1/me").json() == {"name": "alice", "admin": False, "scopes": ["read", "write"]}
    with live_server.client(live_server.admin_token) as root:
        assert root.get("/v1/me").json() == {
            "name": "root",
            "admin": True,
            "scopes": ["admin", "read", "write"],
        }


def test_me_without_a_valid_token_is_401_json(live_server: LiveServer) -> None:
    for token in (None, "tm_not-a-token"):
        with live_server.client(token) as client:
            response = client.get("/v1/me")
        assert response.status_code == 401
        body = response.json()
        assert body["ok"] is False and body["status"] == 401 and "token" in body["error"].lower()
