"""Seeded recommendations over real HTTP: a simulated world in the real log, `train`, then the API."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest

from tastemaker.config import Config
from tastemaker.platform import Platform
from tastemaker.recommend.model import Model
from tastemaker.recommend.model_files import models_dir
from tastemaker.recommend.tunables import COLUMN, FEATURES, InvalidTunables, parse_tunables
from tastemaker.storage.models import Track
from tests.conftest import LiveServer
from tests.recommend.trained_world import trained_world

URL = "/v1/users/{}/recommendations"


def energy_of(track_id: str) -> float | None:
    """A made-up energy for two tracks in three; the third has no audio features at all."""
    number = sum(track_id.encode())
    return None if number % 3 == 0 else (number % 11) / 10


def features_row(energy: float) -> dict[str, object]:
    """The mapping `audio.records.save_result` writes, with a known energy."""
    return {
        "acousticness": 0.5, "danceability": 0.5, "energy": energy, "instrumentalness": 0.1,
        "key": 5, "liveness": 0.1, "loudness": -8.0, "mode": 1, "speechiness": 0.05, "tempo": 120.0,
        "time_signature": 4, "valence": 0.5, "duration_ms": 200_000, "algorithm_version": "tm-audio-1",
        "vector": [0.0] * 12,
    }  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Model, dict[str, Track]]:
    config, model = trained_world(tmp_path_factory.mktemp("seeded"), seed=5)
    with Platform.open(config) as platform:
        tracks = platform.store.get_tracks(model.item_ids)
        for track_id in model.item_ids:
            energy = energy_of(track_id)
            if energy is not None:
                platform.store.put_features(track_id, features_row(energy))
    return config, model, tracks


@pytest.fixture
def config(trained: tuple[Config, Model, dict[str, Track]]) -> Config:
    """`live_server` serves the trained world's data dir."""
    return trained[0]


@pytest.fixture
def live_server(live_server: LiveServer) -> Iterator[LiveServer]:
    """conftest's server, with its users removed afterwards: the module's tests share one store."""
    yield live_server
    for name in ("root", live_server.user):
        live_server.platform.store.delete_user(name)


def genre_overlap(ids: list[str], genres: set[str], tracks: dict[str, Track]) -> float:
    return sum(1 for t in ids if set(tracks[t].genres) & genres) / max(1, len(ids))


def test_seeds_steer_away_from_the_plain_recommendations(
    trained: tuple[Config, Model, dict[str, Track]], live_server: LiveServer
) -> None:
    _, model, tracks = trained
    steered, plain_overlap, wins = [], [], 0
    with live_server.client(live_server.admin_token) as admin:
        for user in model.user_ids[:8]:
            plain = [r.item_id for r in model.recommend(user, 20)]
            plain_genres = {g for t in plain for g in tracks[t].genres}
            # a well-played seed track of genres that the user's own recommendations hardly touch
            seed = min(
                model.item_ids,
                key=lambda t: (
                    len(set(tracks[t].genres) & plain_genres),
                    -model.item_popularity[model.item_columns[t]],
                ),
            )
            got = admin.get(URL.format(user), params={"seed_tracks": seed, "limit": 20})
            assert got.status_code == 200, got.text
            body = got.json()
            ids = [t["id"] for t in body["tracks"]]
            assert len(ids) == 20 and seed not in ids and len(set(ids)) == 20
            assert body["seeds"][0]["id"] == seed and body["seeds"][0]["type"] == "TRACK"
            assert body["seeds"][0]["initialPoolSize"] >= body["seeds"][0]["afterFilteringSize"] > 0
            assert all(t["name"] and t["artist_name"] for t in body["tracks"])
            seed_genres = set(tracks[seed].genres)
            steered.append(genre_overlap(ids, seed_genres, tracks))
            plain_overlap.append(genre_overlap(plain, seed_genres, tracks))
            wins += steered[-1] > plain_overlap[-1]
    assert np.mean(steered) > np.mean(plain_overlap) + 0.3, (steered, plain_overlap)
    assert wins >= 6


def test_an_artist_seed_brings_that_artist_and_their_genres(
    trained: tuple[Config, Model, dict[str, Track]], live_server: LiveServer
) -> None:
    _, model, tracks = trained
    user = model.user_ids[2]
    plain = [r.item_id for r in model.recommend(user, 20)]
    artist = min(
        sorted({tracks[t].artist_id or "" for t in model.item_ids} - {""}),
        key=lambda a: sum(1 for t in plain if tracks[t].artist_id == a),
    )
    assert artist is not None
    genres = {g for t in model.item_ids if tracks[t].artist_id == artist for g in tracks[t].genres}
    with live_server.client(live_server.admin_token) as admin:
        got = admin.get(URL.format(user), params={"seed_artists": artist, "seed_genres": "No-Such Genre"})
    assert got.status_code == 200, got.text
    body = got.json()
    ids = [t["id"] for t in body["tracks"]]
    assert sum(1 for t in ids if tracks[t].artist_id == artist) > sum(
        1 for t in plain if tracks[t].artist_id == artist
    )
    assert genre_overlap(ids, genres, tracks) > genre_overlap(plain, genres, tracks)
    assert [s["type"] for s in body["seeds"]] == ["ARTIST", "GENRE"]
    assert body["seeds"][1]["initialPoolSize"] == 0, "a genre no track has is an empty pool, not an error"


def test_genre_seeds_match_whatever_the_case_and_separators(
    trained: tuple[Config, Model, dict[str, Track]], live_server: LiveServer
) -> None:
    _, model, tracks = trained
    genre = next(g for t in model.item_ids for g in tracks[t].genres if " " in g)
    with live_server.client(live_server.user_token) as alice:  # a user the model does not know: seeds only
        got = alice.get(URL.format("alice"), params={"seed_genres": genre.upper().replace(" ", "-")})
    assert got.status_code == 200, got.text
    ids = [t["id"] for t in got.json()["tracks"]]
    share, base = genre_overlap(ids, {genre}, tracks), genre_overlap(model.item_ids, {genre}, tracks)
    assert len(ids) == 20 and share >= 0.6 and share > 3 * base, (share, base)


def test_min_and_max_filter_and_target_reranks(
    trained: tuple[Config, Model, dict[str, Track]], live_server: LiveServer
) -> None:
    _, model, _ = trained
    user, seed = model.user_ids[3], model.item_ids[0]
    with live_server.client(live_server.admin_token) as admin:
        base: dict[str, str | float] = {"seed_tracks": seed, "limit": 50}
        everything = admin.get(URL.format(user), params=base).json()
        energetic = admin.get(
            URL.format(user), params={**base, "min_energy": 0.6, "max_energy": "0.9"}
        ).json()
        aimed = admin.get(URL.format(user), params={**base, "target_energy": 0.9}).json()
        popular = admin.get(URL.format(user), params={**base, "min_popularity": 50}).json()
    unfeatured = [t["id"] for t in everything["tracks"] if energy_of(t["id"]) is None]
    assert unfeatured, "without min/max, tracks without features are kept"
    energies = [energy_of(t["id"]) for t in energetic["tracks"]]
    assert energies and all(e is not None and 0.6 <= e <= 0.9 for e in energies)
    (report,) = energetic["seeds"]
    assert (
        report["afterFilteringSize"] < report["initialPoolSize"] == everything["seeds"][0]["initialPoolSize"]
    )
    assert report["afterFilteringSize"] >= len(energetic["tracks"])

    def mean_distance(body: dict[str, list[dict[str, str]]]) -> float:
        values = [energy_of(t["id"]) for t in body["tracks"]]
        return float(np.mean([1.0 if e is None else abs(e - 0.9) for e in values]))

    assert mean_distance(aimed) < mean_distance(everything) - 0.1
    popularity = {t["id"]: t["popularity"] for t in popular["tracks"]}
    assert popularity and all(p is not None and p >= 50 for p in popularity.values())


def test_validation_errors_say_what_and_where(
    trained: tuple[Config, Model, dict[str, Track]], live_server: LiveServer
) -> None:
    _, model, _ = trained
    user, items = model.user_ids[0], model.item_ids
    cases = [
        ({}, "seed_count", "seed_tracks"),
        ({"seed_tracks": ",".join(items[:4]), "seed_genres": "rock,pop"}, "seed_count", "seed_tracks"),
        ({"seed_tracks": f"{items[0]},,{items[1]}"}, "empty", "seed_tracks"),
        ({"seed_tracks": items[0], "limit": "0"}, "out_of_range", "limit"),
        ({"seed_tracks": items[0], "limit": "101"}, "out_of_range", "limit"),
        ({"seed_tracks": items[0], "limit": "ten"}, "out_of_range", "limit"),
        ({"seed_tracks": items[0], "min_energy": "high"}, "not_a_number", "min_energy"),
        ({"seed_tracks": items[0], "target_key": "4.5"}, "not_a_number", "target_key"),
        ({"seed_tracks": items[0], "max_valence": "1.5"}, "out_of_range", "max_valence"),
        ({"seed_tracks": items[0], "min_tempo": "140", "max_tempo": "90"}, "min_above_max", "min_tempo"),
        ({"seed_tracks": items[0], "min_sparkle": "1"}, "unknown_feature", "min_sparkle"),
        ({"seed_tracks": items[0], "seed_moods": "happy"}, "unknown_parameter", "seed_moods"),
    ]
    with live_server.client(live_server.admin_token) as admin:
        for params, kind, name in cases:
            got = admin.get(URL.format(user), params=params)
            assert got.status_code == 400, (params, got.text)
            body = got.json()
            assert body["ok"] is False and body["error"]
            assert any(e["type"] == kind and e["loc"] == ["query", name] for e in body["errors"]), body
        missing = admin.get(URL.format(user), params={"seed_tracks": "no-such-track"})
        assert missing.status_code == 404 and "no-such-track" in missing.json()["error"]
        nobody = admin.get(URL.format(user), params={"seed_artists": "no-such-artist"})
        assert nobody.status_code == 404 and "no-such-artist" in nobody.json()["error"]
        ok = admin.get(URL.format(user), params={"seed_tracks": items[0], "market": "SE", "limit": "3"})
        assert ok.status_code == 200 and len(ok.json()["tracks"]) == 3


def test_auth_and_no_model(trained: tuple[Config, Model, dict[str, Track]], live_server: LiveServer) -> None:
    config, model, _ = trained
    params = {"seed_tracks": model.item_ids[0]}
    with live_server.client() as anonymous:
        assert anonymous.get(URL.format("alice"), params=params).status_code == 401
    with live_server.client(live_server.user_token) as alice:
        assert alice.get(URL.format(model.user_ids[0]), params=params).status_code == 403
    folder = models_dir(config.data_dir)  # this server has not looked for a model yet
    aside = folder.with_name("models-aside")
    folder.rename(aside)
    try:
        with live_server.client(live_server.admin_token) as admin:
            got = admin.get(URL.format("alice"), params=params)
    finally:
        aside.rename(folder)
    assert got.status_code == 503 and "tastemaker train" in got.json()["error"]


def test_parse_tunables_mask_and_closeness() -> None:
    tunables = parse_tunables({"min_energy": "0.5", "target_tempo": "120", "seed_tracks": "x", "limit": "3"})
    assert tunables.minimum == {"energy": 0.5} and tunables.target == {"tempo": 120.0}
    values = np.full((3, len(FEATURES)), np.nan, dtype=np.float32)
    values[0, COLUMN["energy"]], values[0, COLUMN["tempo"]] = 0.7, 120.0
    values[1, COLUMN["energy"]], values[1, COLUMN["tempo"]] = 0.4, 120.0
    assert tunables.mask(values).tolist() == [True, False, False]
    closeness = tunables.closeness(values)
    assert math.isclose(float(closeness[0]), 1.0) and float(closeness[2]) == 0.0
    with pytest.raises(InvalidTunables, match="2 problems") as caught:
        parse_tunables({"min_mode": "2", "target_loudness": "loud"})
    assert [e["loc"] for e in caught.value.errors] == [["query", "min_mode"], ["query", "target_loudness"]]
    assert parse_tunables({"target_loudness": "-70"}).target == {"loudness": -70.0}
