"""The LLM labeler against a real OpenAI-compatible server on loopback: good answers become labels,
anything else skips that track with the reason and the run goes on."""

from __future__ import annotations

import json

from tastemaker.annotate.labeler import TrackContext
from tastemaker.annotate.llm import CONFIDENCE, LLMLabeler
from tastemaker.storage.models import Track
from tests.annotate.chat_stub import SLOW_S, chat_stub


def test_good_and_bad_answers_from_a_chat_completions_endpoint() -> None:
    ids = ["good", "fenced", "prose", "list", "error", "garbage", "slow", "good-again"]
    tracks = [TrackContext(i, track=Track(track_id=i, name=f"Song {i}", artist_name="Band")) for i in ids]
    with chat_stub() as stub:
        host, port = stub.server_address[:2]
        labeler = LLMLabeler(
            url=f"http://{host!s}:{port}/", model="tiny", api_key="sk-test", timeout_s=SLOW_S / 4
        )
        answers = dict(zip(ids, labeler.labels(tracks), strict=True))
    good = {label.kind: label for label in answers["good"]}
    assert {k: v.value for k, v in good.items()} == {
        "genre": "rock",
        "mood": "melancholic",
        "vocal": "vocal",
        "era": "90s",
    }
    assert all(label.confidence == CONFIDENCE and label.source == "llm" for label in good.values())
    assert {label.kind: label.value for label in answers["fenced"]} == {"genre": "jazz", "mood": "chill"}
    assert len(answers["good-again"]) == 4  # a timeout before it did not stop the run
    failed = ["prose", "list", "error", "garbage", "slow"]
    assert all(answers[i] == [] for i in failed)
    assert sorted(labeler.skipped) == sorted(failed)
    assert labeler.skipped["prose"].startswith("AnswerError: the answer is not JSON")
    assert labeler.skipped["list"] == "AnswerError: the answer is not a JSON object"
    assert labeler.skipped["error"].startswith("HTTPStatusError: Server error '500")
    assert labeler.skipped["garbage"] == "AnswerError: the response body is not JSON"
    assert labeler.skipped["slow"].startswith("ReadTimeout")
    # what the endpoint saw: the chat-completions protocol, the key, a JSON-only instruction
    first = stub.requests[0]
    assert first["path"] == "/v1/chat/completions" and first["model"] == "tiny"
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert "JSON object and nothing else" in first["messages"][0]["content"]
    assert json.loads(first["messages"][1]["content"]) == {
        "track_id": "good",
        "title": "Song good",
        "artist": "Band",
    }
    assert stub.headers_seen[0]["Authorization"] == "Bearer sk-test"


def test_without_an_endpoint_the_labeler_is_off() -> None:
    labeler = LLMLabeler(url="", model="")
    assert labeler.labels([TrackContext("t")]) == [[]]
    assert labeler.skipped == {"t": "no LLM endpoint configured"}
