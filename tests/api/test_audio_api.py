"""Spotify's audio endpoints over real loopback HTTP, serving a result computed from a real file."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest

from tastemaker.audio.model import AudioFeatures, AudioResult
from tastemaker.audio.pipeline import analyze_path
from tastemaker.audio.records import save_result
from tastemaker.storage.models import Track
from tests.audio_files import write_music
from tests.conftest import LiveServer

ANALYSED = "tm:analysed-1"
FEATURES_ONLY = "tm:features-only"
NOT_ANALYSED = "tm:not-analysed"
SPOTIFY_KEYS = {
    "acousticness", "analysis_url", "danceability", "duration_ms", "energy", "id", "instrumentalness", "key",
    "liveness", "loudness", "mode", "speechiness", "tempo", "time_signature", "track_href", "type", "uri",
    "valence",
}  # fmt: skip


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> AudioResult:
    """One real analysis, shared by the tests: the API serves what the pipeline computed."""
    path = write_music(tmp_path_factory.mktemp("audio-api") / "beat.wav", 8.0, bpm=120.0, tonic=9)
    return analyze_path(path)


@pytest.fixture
def server(live_server: LiveServer, result: AudioResult) -> LiveServer:
    store = live_server.platform.store
    store.put_tracks(
        [
            Track(track_id=t, name=f"Song {t}", artist_name="Artist")
            for t in (ANALYSED, FEATURES_ONLY, NOT_ANALYSED)
        ]
    )
    save_result(store, ANALYSED, result)
    save_result(store, FEATURES_ONLY, msgspec.structs.replace(result, analysis=None))
    return live_server


def check_error(response: httpx.Response, status: int, words: str) -> dict[str, Any]:
    """The one error shape of api/errors.py, with a message that says what happened."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["ok"] is False and body["status"] == status and words in body["error"], body
    assert all(set(item) == {"loc", "type", "msg"} for item in body["errors"])
    return body


def test_audio_features_in_spotify_shape_with_working_links(server: LiveServer, result: AudioResult) -> None:
    with server.client(server.user_token) as client:  # any user, not only admins
        response = client.get(f"/v1/tracks/{ANALYSED}/audio-features")
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == SPOTIFY_KEYS | {"algorithm_version"}
        for name in AudioFeatures.__struct_fields__:  # == also holds for numpy numbers from the pipeline
            assert body[name] == getattr(result.features, name), name
        assert body["id"] == ANALYSED and body["type"] == "audio_features"
        assert body["uri"] == f"tastemaker:track:{ANALYSED}"
        assert body["track_href"] == f"/v1/tracks/{ANALYSED}"
        assert body["analysis_url"] == f"/v1/tracks/{ANALYSED}/audio-analysis"
        assert client.get(body["track_href"]).json()["name"] == f"Song {ANALYSED}"
        analysis = client.get(body["analysis_url"])
        assert analysis.status_code == 200, analysis.text
        assert analysis.json() == msgspec.to_builtins(result.analysis)
        assert set(analysis.json()) == {"meta", "track", "bars", "beats", "tatums", "sections", "segments"}


def test_several_audio_features_in_request_order_with_nulls(server: LiveServer) -> None:
    ids = [ANALYSED, "tm:unknown", NOT_ANALYSED, FEATURES_ONLY, ANALYSED]
    with server.client(server.user_token) as client:
        response = client.get("/v1/audio-features", params={"ids": ",".join(ids)})
        assert response.status_code == 200, response.text
        items = response.json()["audio_features"]
        assert [None if item is None else item["id"] for item in items] == [
            ANALYSED, None, None, FEATURES_ONLY, ANALYSED,
        ]  # fmt: skip
        assert items[0] == client.get(f"/v1/tracks/{ANALYSED}/audio-features").json()
        spaced = client.get("/v1/audio-features", params={"ids": f" {ANALYSED} , {FEATURES_ONLY}"})
        assert [item["id"] for item in spaced.json()["audio_features"]] == [ANALYSED, FEATURES_ONLY]
        at_limit = client.get("/v1/audio-features", params={"ids": ",".join([ANALYSED] * 100)})
        assert at_limit.status_code == 200 and len(at_limit.json()["audio_features"]) == 100


def test_not_found_says_whether_the_track_or_its_audio_is_missing(server: LiveServer) -> None:
    with server.client(server.user_token) as client:
        for kind in ("audio-features", "audio-analysis"):
            check_error(
                client.get(f"/v1/tracks/tm:unknown/{kind}"), 404, "no track 'tm:unknown' in the catalog"
            )
        what = check_error(
            client.get(f"/v1/tracks/{NOT_ANALYSED}/audio-features"), 404, "no audio features yet"
        )
        assert "tastemaker scan" in what["error"]
        check_error(client.get(f"/v1/tracks/{NOT_ANALYSED}/audio-analysis"), 404, "no audio analysis yet")
        check_error(client.get(f"/v1/tracks/{FEATURES_ONLY}/audio-analysis"), 404, "no audio analysis yet")
        server.platform.store.put_features(NOT_ANALYSED, {"tempo": 90.0})  # a row of some older shape
        check_error(client.get(f"/v1/tracks/{NOT_ANALYSED}/audio-features"), 404, "no audio features yet")


@pytest.mark.parametrize(
    ("query", "words", "loc"),
    [
        ({}, "ids is required", ["query", "ids"]),
        ({"ids": ""}, "ids is required", ["query", "ids"]),
        (
            {"ids": ",".join(f"t{n}" for n in range(101))},
            "101 ids in one request; at most 100",
            ["query", "ids"],
        ),
        ({"ids": "a,,b"}, "1 of 3 ids are empty", ["query", "ids", 1]),
        ({"ids": "a,b,"}, "1 of 3 ids are empty", ["query", "ids", 2]),
    ],
)
def test_bad_ids_are_rejected(server: LiveServer, query: dict[str, str], words: str, loc: list[Any]) -> None:
    with server.client(server.user_token) as client:
        body = check_error(client.get("/v1/audio-features", params=query), 400, words)
    assert [item["loc"] for item in body["errors"]] == [loc]


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/tracks/{ANALYSED}/audio-features",
        f"/v1/tracks/{ANALYSED}/audio-analysis",
        f"/v1/audio-features?ids={ANALYSED}",
    ],
)
def test_a_token_is_required(server: LiveServer, path: str) -> None:
    with server.client() as client:
        check_error(client.get(path), 401, "missing Authorization header")
    with server.client("tm_not-a-real-token") as client:
        check_error(client.get(path), 401, "token not recognised")


def test_openapi_documents_the_response_shapes(server: LiveServer) -> None:
    with server.client() as client:
        schema = client.get("/docs/openapi.json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]
    for path in (
        "/v1/tracks/{track_id}/audio-features",
        "/v1/audio-features",
        "/v1/tracks/{track_id}/audio-analysis",
    ):
        ok = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        name = ok["$ref"].rsplit("/", 1)[1]
        assert name in components, name
    features = components["TrackAudioFeatures"]["properties"]
    assert set(features) == SPOTIFY_KEYS | {"algorithm_version"}
    assert set(components["AudioAnalysis"]["properties"]) == {
        "meta", "track", "bars", "beats", "tatums", "sections", "segments",
    }  # fmt: skip
    assert "404" in paths["/v1/tracks/{track_id}/audio-features"]["get"]["responses"]
    assert "400" in paths["/v1/audio-features"]["get"]["responses"]
