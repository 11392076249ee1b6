"""Fuzzing the native API (``/v1/...``) over loopback, as the ListenBrainz, Last.fm and Spotify-shaped
routers are: schemathesis from the app's own OpenAPI schema for paths, parameters and declared bodies,
hypothesis for the JSON body of ``POST /v1/events`` (parsed by hand, so the schema leaves it open).

Whatever is sent, the answer is never a 5xx, and every error is the native shape
``{"ok": false, "status": <code>, "error": "...", "errors": [...]}``. Small budgets keep the file fast.
It serves the Spotify tests' trained world (a model, audio features), so the recommendation and
playlist routes get past "no trained model yet". ``DELETE /v1/users/{user_id}`` is left out: one
success would delete alice for every later case.
"""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.core.result import Ok

from tests.api.fuzz_values import any_json
from tests.api.test_spotify_api import config as config  # the fixtures of a trained world: a model
from tests.api.test_spotify_api import live_server as live_server  # to recommend from, features, an analysis
from tests.api.test_spotify_api import world as world
from tests.conftest import LiveServer

MAX_EXAMPLES = 8
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def check_answer(response: httpx.Response | Any, what: str, *, head: bool = False) -> None:
    """``head``: a HEAD answer has the status and headers of the GET's, and no body to check."""
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:500]}"
    if response.status_code >= 400 and not head:
        kind = response.headers.get("content-type") or ""  # schemathesis: a list of values
        kind = kind if isinstance(kind, str) else kind[0]
        assert kind.startswith("application/json"), (what, response.status_code, kind, response.text[:300])
        body = response.json()
        assert body["ok"] is False and body["status"] == response.status_code, (what, body)
        assert isinstance(body["error"], str) and body["error"], (what, body)
        assert isinstance(body["errors"], list), (what, body)


def as_alice(pair: tuple[Case[Any], bool]) -> Case[Any]:
    """Half the cases read alice's own data, so they get past the 403 and reach the parameters."""
    case, own = pair
    if own and case.path_parameters and "user_id" in case.path_parameters:
        case.path_parameters["user_id"] = "alice"
    return case


def test_native_parameters_never_cause_server_errors(live_server: LiveServer) -> None:
    schema = (
        schemathesis.openapi.from_url(f"{live_server.url}/docs/openapi.json")
        .include(path_regex="^/v1/")
        .exclude(method="DELETE")
    )
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 20
    headers = {"Authorization": f"Token {live_server.user_token}"}
    for operation in operations:

        @given(case=st.tuples(operation.as_strategy(), st.booleans()).map(as_alice))
        @FUZZ_SETTINGS
        def fuzz(case: Case[Any]) -> None:
            response = case.call(base_url=live_server.url, headers=headers, timeout=30)
            what = f"{case.method} {case.formatted_path} {case.query} {case.body!r}"
            check_answer(response, what, head=case.method == "HEAD")

        fuzz()


_event = st.fixed_dictionaries(
    {"type": st.sampled_from(["play", "skip", "like", "track_added", "x"]) | any_json},
    optional={
        "ts": st.sampled_from(["2025-03-01T12:00:00Z", "2025-03-01", "yesterday", ""]) | any_json,
        "track_name": any_json | st.text(max_size=30),
        "artist_name": any_json | st.text(max_size=30),
        "track_id": any_json,
        "event_id": any_json,
        "ms_played": st.integers(-(2**40), 2**40) | any_json,
        "user_id": st.sampled_from(["alice", "root", ""]) | any_json,
    },
)


def test_native_event_bodies_never_cause_server_errors(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:

        @given(body=st.fixed_dictionaries({"events": st.lists(_event, max_size=4) | any_json}) | any_json)
        @settings(FUZZ_SETTINGS, max_examples=60)
        def events(body: Any) -> None:
            check_answer(client.post("/v1/events", json=body), f"events {body!r}")

        events()
        check_answer(client.post("/v1/events", content=b"\xff\xfe{"), "not UTF-8")
        check_answer(client.post("/v1/events", content=b'{"events": [' * 10_000), "deeply nested")
