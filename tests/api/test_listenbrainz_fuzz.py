"""Fuzzing the ListenBrainz operations over loopback: schemathesis from the app's own OpenAPI schema for
paths and parameters, hypothesis for the JSON bodies of the two POSTs (the schema leaves bodies open,
since they are parsed by hand to accept a missing Content-Type).

Whatever is sent, the answer is never a 5xx, and every error carries ListenBrainz's ``{"code", "error"}``.
Budgets are small (``MAX_EXAMPLES`` per operation) so that the file stays fast.
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
from tests.conftest import LiveServer

MAX_EXAMPLES = 30
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def check_answer(response: httpx.Response | Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.text}"
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"code", "error"}, (what, body)
        assert body["code"] == response.status_code and isinstance(body["error"], str)


def as_alice(pair: tuple[Case[Any], bool]) -> Case[Any]:
    """Half the cases read alice's own data, so they get past the 403 and reach the parameters."""
    case, own = pair
    if own and case.path_parameters and "user_name" in case.path_parameters:
        case.path_parameters["user_name"] = "alice"
    return case


def test_parameters_never_cause_server_errors(live_server: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/docs/openapi.json").include(path_regex="^/1/")
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) == 10
    headers = {"Authorization": f"Token {live_server.user_token}"}
    for operation in operations:

        @given(case=st.tuples(operation.as_strategy(), st.booleans()).map(as_alice))
        @FUZZ_SETTINGS
        def fuzz(case: Case[Any]) -> None:
            response = case.call(base_url=live_server.url, headers=headers)
            check_answer(response, f"{case.method} {case.formatted_path} {case.query}")

        fuzz()


_metadata = st.fixed_dictionaries(
    {
        "artist_name": any_json | st.text(min_size=1, max_size=30),
        "track_name": any_json | st.text(max_size=30),
    },
    optional={
        "release_name": any_json,
        "additional_info": any_json
        | st.dictionaries(
            st.sampled_from(["duration_ms", "duration", "recording_mbid", "artist_mbids", "isrc", "x"]),
            any_json,
            max_size=4,
        ),
    },
)
_listen = st.fixed_dictionaries(
    {"track_metadata": _metadata | any_json},
    optional={"listened_at": st.integers(-(2**65), 2**65) | any_json},
)
_submission = st.fixed_dictionaries(
    {"listen_type": st.sampled_from(["single", "import", "playing_now"]) | any_json},
    optional={"payload": st.lists(_listen, max_size=3) | any_json},
)
_feedback = st.fixed_dictionaries(
    {"score": st.sampled_from([1, 0, -1]) | any_json},
    optional={"recording_mbid": any_json, "recording_msid": any_json},
)


def test_bodies_never_cause_server_errors(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:

        @given(body=_submission | any_json)
        @FUZZ_SETTINGS
        def submit(body: Any) -> None:
            check_answer(client.post("/1/submit-listens", json=body), f"submit {body!r}")

        @given(body=_feedback | any_json)
        @FUZZ_SETTINGS
        def feedback(body: Any) -> None:
            check_answer(client.post("/1/feedback/recording-feedback", json=body), f"feedback {body!r}")

        submit()
        feedback()
        check_answer(client.post("/1/submit-listens", content=b"\xff\xfe{"), "not UTF-8")
