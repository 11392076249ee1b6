"""``POST /v1/playlists/from-title`` over real loopback HTTP, on a trained simulated world whose tracks
have known audio features: the title's genre picks the candidates, its mood moves the valence."""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tastemaker.config import Config
from tastemaker.platform import Platform
from tastemaker.recommend.from_title import decade_start, range_fit
from tastemaker.recommend.model import Model
from tastemaker.recommend.seeded import genre_key
from tests.conftest import LiveServer
from tests.recommend.test_seeded import features_row
from tests.recommend.trained_world import trained_world

GENRE_CHOICES = ("rock", "pop", "hip hop", "jazz", "country")
"""Genres the title lexicon knows; the test uses the first the simulated catalog has."""


def unit(track_id: str, salt: str) -> float:
    """A made-up feature in 0..1 per track."""
    return (zlib.crc32((salt + track_id).encode()) % 1000) / 1000


World = tuple[Config, Model, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    config, model = trained_world(tmp_path_factory.mktemp("from-title"), seed=11)
    with Platform.open(config) as platform:
        tracks = platform.store.get_tracks(model.item_ids)
        for track_id in model.item_ids:
            row = {**features_row(unit(track_id, "e")), "valence": unit(track_id, "v")}
            platform.store.put_features(track_id, row)
        present = {word for t in tracks.values() for g in t.genres for word in [genre_key(g)]}
    genre = next(g for g in GENRE_CHOICES if any(g in key.split() or g == key for key in present))
    return config, model, genre


@pytest.fixture
def config(world: World) -> Config:
    return world[0]


@pytest.fixture
def live_server(live_server: LiveServer) -> Iterator[LiveServer]:
    yield live_server
    for name in ("root", live_server.user):
        live_server.platform.store.delete_user(name)


def post(server: LiveServer, body: Any, *, token: str | None = None) -> tuple[int, dict[str, Any]]:
    with server.client(token or server.user_token) as client:
        if isinstance(body, bytes | str):
            response = client.post("/v1/playlists/from-title", content=body)
        else:
            response = client.post("/v1/playlists/from-title", json=body)
    return response.status_code, response.json()


def test_genre_and_mood_of_the_title_shape_the_playlist(live_server: LiveServer, world: World) -> None:
    genre = world[2]
    status, sad = post(live_server, {"title": f"sad {genre} for a rainy day 🌧️", "limit": 20})
    assert status == 200, sad
    assert sad["signals"]["genre"]["label"] == genre and sad["genre_in_catalog"] is True
    assert sad["signals"]["mood"]["label"] in ("sad", "melancholic")
    assert 1 <= len(sad["tracks"]) <= 20
    for track in sad["tracks"]:
        assert any(genre in genre_key(g).split() or genre == genre_key(g) for g in track["genres"]), track
        assert track["score"] > 0 and track["uri"] == f"tastemaker:track:{track['id']}"
    status, happy = post(live_server, {"title": f"happy {genre} sunshine", "limit": 20})
    assert status == 200, happy
    sad_valence = np.mean([unit(t["id"], "v") for t in sad["tracks"]])
    happy_valence = np.mean([unit(t["id"], "v") for t in happy["tracks"]])
    assert sad_valence < 0.4 and happy_valence > sad_valence + 0.2
    assert any("valence" in reason for reason in sad["tracks"][0]["reasons"])
    artists = [t["artist_id"] for t in sad["tracks"]]
    assert max(artists.count(a) for a in artists) <= 3  # no artist takes over the playlist


def test_activity_and_defaults(live_server: LiveServer) -> None:
    status, body = post(live_server, {"title": "🏋️ gym bangers"})
    assert status == 200, body
    assert body["signals"]["activity"]["label"] == "workout"
    assert len(body["tracks"]) == 30  # the default limit
    energies = [unit(t["id"], "e") for t in body["tracks"]]
    assert np.mean(energies) > 0.6


def test_a_title_with_no_signal_still_answers(live_server: LiveServer) -> None:
    status, body = post(live_server, {"title": "xqzv", "limit": 5})
    assert status == 200, body
    assert body["signals"] == {} and body["genre_in_catalog"] is None and len(body["tracks"]) == 5


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        ({"title": ""}, ["body", "title"], "title is empty"),
        ({"title": "   \n "}, ["body", "title"], "title is empty"),
        ({"title": "x" * 201}, ["body", "title"], "at most 200"),
        ({"limit": 5}, ["body", "title"], "missing required field"),
        ({"title": "jazz", "limit": 0}, ["body", "limit"], ">= 1"),
        ({"title": "jazz", "limit": 101}, ["body", "limit"], "<= 100"),
        ({"title": 5}, ["body", "title"], "Expected `str`"),
        ({"title": "jazz", "extra": 1}, ["body", "extra"], "unknown field"),
        (["jazz"], ["body"], "Expected `object`"),
        ('{"title": "jazz \\ud800 night"}', ["body"], "not valid JSON"),
        ("{not json", ["body"], "not valid JSON"),
        ("", ["body"], "request body is empty"),
    ],
)
def test_bad_requests_are_400_in_the_native_shape(
    live_server: LiveServer, body: Any, loc: list[str], words: str
) -> None:
    status, answer = post(live_server, body)
    assert status == 400, answer
    assert answer["ok"] is False and words in answer["error"]
    assert answer["errors"][0]["loc"] == loc


def test_needs_a_token(live_server: LiveServer) -> None:
    with live_server.client(None) as client:
        response = client.post("/v1/playlists/from-title", json={"title": "jazz"})
    assert response.status_code == 401


def test_era_ranks_tracks_of_the_decade_first(live_server: LiveServer, world: World) -> None:
    status, body = post(live_server, {"title": "90s throwbacks", "limit": 10})
    assert status == 200, body
    assert body["signals"]["era"] == {"label": "90s", "confidence": 0.9}
    years = [int(t["release_date"][:4]) for t in body["tracks"] if t["release_date"]]
    tracks = live_server.platform.store.get_tracks(world[1].item_ids)
    nineties = Counter(
        t.artist_id for t in tracks.values() if t.release_date and "1990" <= t.release_date[:4] <= "1999"
    )
    reachable = sum(min(count, 3) for count in nineties.values())  # at most 3 tracks of one artist
    assert sum(1990 <= year <= 1999 for year in years) == min(reachable, 10)


def test_range_fit_and_decades() -> None:
    values = np.asarray([0.1, 0.5, 0.95, np.nan], dtype=np.float32)
    np.testing.assert_allclose(range_fit(values, 0.4, 0.6, 1.0)[:3], [0.7, 1.0, 0.65], atol=1e-6)
    assert np.isnan(range_fit(values, 0.4, 0.6, 1.0)[3])
    assert [decade_start(d) for d in ("60s", "90s", "00s", "20s")] == [1960, 1990, 2000, 2020]
