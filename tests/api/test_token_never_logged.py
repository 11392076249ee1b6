"""No token ever reaches a log record, the server's output or an error body.

Requests with good, wrong and under-scoped tokens (200, 401, 403) and one that makes a handler fail
(500, a corrupt stored profile) run with every server-side logger at DEBUG, uvicorn's access log
included (it prints the request line, so a token sent as ``?token=`` would otherwise be in it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from tastemaker.accounts import create_user, set_scrobble_password
from tastemaker.api.auth import redact
from tests.api.test_lastfm_api import call as lastfm_call
from tests.conftest import LiveServer

SERVER_LOGGERS = ("", "uvicorn", "uvicorn.access", "uvicorn.error", "litestar", "tastemaker")
CLIENT_LOGGERS = ("httpx", "httpcore")
"""The test's own HTTP client logs the URLs it sends, query tokens included: not the server's logs."""


@pytest.fixture
def debug_logs(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pytest.LogCaptureFixture]:
    for name in SERVER_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
        if name:  # uvicorn's own config stops these at its handlers: let caplog's root handler see them
            monkeypatch.setattr(logging.getLogger(name), "propagate", True)
    yield caplog


def test_tokens_never_appear_in_logs_or_error_bodies(
    live_server: LiveServer, debug_logs: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    store = live_server.platform.store
    reader = create_user(store, "reader", scopes=["read"])
    wrong = "tm_" + "x" * 43
    secrets = [live_server.user_token, live_server.admin_token, reader, wrong]
    store.put_profiles({"alice": b"\xc1 not a profile"})  # GET .../profile fails inside the handler
    set_scrobble_password(store, "alice", "pw")
    session = lastfm_call(
        live_server, {"method": "auth.getMobileSession", "username": "alice", "password": "pw"}
    )
    assert session.status_code == 200
    bodies: list[httpx.Response] = []
    with (
        live_server.client(live_server.user_token) as alice,
        live_server.client(reader) as read_only,
        live_server.client(wrong) as stranger,
        httpx.Client(base_url=live_server.url) as anonymous,
    ):
        bodies += [
            alice.get("/v1/me"),
            alice.get("/v1/users/root/listens"),
            alice.get("/v1/users/alice/profile"),
            read_only.post("/v1/events", json={"events": []}),
            read_only.post("/1/submit-listens", json={"listen_type": "single", "payload": []}),
            stranger.get("/v1/me"),
            stranger.get("/spotify/v1/me"),
            stranger.post("/1/submit-listens", json={}),
            anonymous.get("/1/validate-token", params={"token": live_server.user_token}),
            anonymous.get("/1/validate-token", params={"token": wrong}),
            anonymous.post(
                "/apis/mlj_1/newscrobble", params={"key": reader}, json={"artist": "A", "title": "T"}
            ),
            anonymous.post("/apis/mlj_1/newscrobble", json={"key": wrong, "artist": "A", "title": "T"}),
            anonymous.post(
                "/spotify/api/token",
                data={"grant_type": "client_credentials", "client_id": "bob", "client_secret": wrong},
            ),
        ]
    statuses = [r.status_code for r in bodies]
    assert {200, 401, 403, 500} <= set(statuses), statuses
    records = [r for r in debug_logs.records if not r.name.startswith(CLIENT_LOGGERS)]
    assert any(r.name == "uvicorn.access" for r in records), "the access log was not captured"
    assert any(r.levelno >= logging.ERROR and r.exc_info for r in records), "the 500 was not logged"
    logged = "\n".join(
        [r.getMessage() for r in records] + [debug_logs.handler.format(r) for r in records]  # tracebacks too
    )
    output = capfd.readouterr()
    for secret in secrets:
        assert secret not in logged
        assert secret not in output.out and secret not in output.err
        for response in bodies:
            assert secret not in response.text, (response.request.url.path, response.text)
    assert "token=[redacted]" in logged  # the query token was in a request line, and was redacted


def test_redact_leaves_ordinary_text_alone() -> None:
    assert (
        redact("GET /v1/users/alice/listens?count=5 HTTP/1.1")
        == "GET /v1/users/alice/listens?count=5 HTTP/1.1"
    )
    assert redact("/1/validate-token?x=1&token=abc") == "/1/validate-token?x=1&token=[redacted]"
    assert redact("Token tm_abcdefghijklmnopqrstuvwxyz") == "Token tm_[redacted]"
