"""Every error the API returns has one JSON shape (datasette's test_error_shape)."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer

REQUESTS = [
    ("GET", "/v1/users/alice/listens", None, None),
    ("GET", "/v1/users/alice/listens?count=0", "user", None),
    ("GET", "/v1/users/alice/listens?count=abc", "user", None),
    ("GET", "/v1/users/bob/profile", "user", None),
    ("GET", "/v1/users/alice/profile", "user", None),
    ("GET", "/v1/tracks/nope", "user", None),
    ("GET", "/v1/nowhere", "user", None),
    ("DELETE", "/v1/events", "user", None),
    ("POST", "/v1/events", "user", b"[1, 2"),
]


@pytest.mark.parametrize(("method", "path", "who", "body"), REQUESTS)
def test_error_shape(
    live_server: LiveServer, method: str, path: str, who: str | None, body: bytes | None
) -> None:
    token = live_server.user_token if who == "user" else None
    with live_server.client(token) as client:
        response = client.request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/json")
    payload = response.json()
    assert set(payload) >= {"ok", "status", "error", "errors"}
    assert payload["ok"] is False and payload["status"] == response.status_code
    assert isinstance(payload["error"], str) and payload["error"]
    for item in payload["errors"]:
        assert set(item) == {"loc", "type", "msg"}
