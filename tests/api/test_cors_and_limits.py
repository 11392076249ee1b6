"""CORS is off by default, and a too-large body gets 413 in the API's JSON error shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from tastemaker.config import Config
from tests.conftest import LiveServer

LIMIT = 4096
ORIGIN = "https://evil.example"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The shared fixture's settings with a small body limit, so the test sends little."""
    flags = {"data_dir": str(tmp_path / "data"), "log_synchronous": "NORMAL", "max_body_bytes": LIMIT}
    return Config.load(flags, env={})


def test_no_cors_headers_for_a_cross_origin_request_or_preflight(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        simple = client.get("/v1/me", headers={"Origin": ORIGIN})
        assert simple.status_code == 200
        preflight = client.options(
            "/v1/events",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
    for response in (simple, preflight):
        assert not [h for h in response.headers if h.lower().startswith("access-control-")], response.headers


def test_too_large_body_is_413_json(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        response = client.post(
            "/v1/events", content=b"x" * (LIMIT + 1), headers={"Content-Type": "application/json"}
        )
        chunked = client.post(
            "/v1/events",
            content=iter([b"x" * 1024] * 8),
            headers={"Content-Type": "application/x-ndjson"},
        )
        small = client.post("/v1/events", json={"events": []})
    for too_big in (response, chunked):
        assert too_big.status_code == 413, too_big.text
        assert too_big.headers["content-type"].startswith("application/json")
        body = too_big.json()
        assert body["ok"] is False and body["status"] == 413 and body["error"]
    assert small.status_code == 400  # under the limit: read and judged on its content (no events)
