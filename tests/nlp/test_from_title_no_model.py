"""``POST /v1/playlists/from-title`` before any `tastemaker train`: 503, and a bad title is still a 400."""

from __future__ import annotations

from tests.conftest import LiveServer


def test_no_model_is_503_and_validation_comes_first(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        response = client.post("/v1/playlists/from-title", json={"title": "rainy day jazz", "limit": 30})
        assert response.status_code == 503
        assert "no trained model yet" in response.json()["error"]
        response = client.post("/v1/playlists/from-title", json={"title": ""})
        assert response.status_code == 400
