"""``tastemaker annotate`` end to end on a small trained world, and the annotations where they are
used: Daily Mix names and DJ segment text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tastemaker.audio.model import AudioFeatures
from tastemaker.backends import STORES, open_backend
from tastemaker.cli import cli
from tastemaker.config import Config
from tastemaker.recommend.daily_mixes import mix_name
from tastemaker.recommend.dj_segments import Said, segment
from tastemaker.recommend.model import Model
from tastemaker.storage.models import Track
from tastemaker.storage.store import Store
from tests.annotate.chat_stub import chat_stub
from tests.recommend.trained_world import trained_world


def happy_banger() -> dict[str, Any]:
    features = AudioFeatures(
        acousticness=0.05, danceability=0.8, energy=0.9, instrumentalness=0.0, key=1, liveness=0.1,
        loudness=-4.0, mode=1, speechiness=0.05, tempo=128.0, time_signature=4, valence=0.85,
        duration_ms=200_000,
    )  # fmt: skip
    return {name: getattr(features, name) for name in AudioFeatures.__struct_fields__}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Model]:
    config, model = trained_world(tmp_path_factory.mktemp("annotate-world"), seed=5, users=12, tracks=120)
    store: Store = open_backend(STORES, config["store_url"])
    try:
        for track_id in model.item_ids[:30]:
            store.put_features(track_id, happy_banger())
        store.put_labels(model.item_ids[0], {"lyrics": {"valence": 0.2, "themes": {"heartbreak": 0.8}}})
    finally:
        store.close()
    return config, model


def run(config: Config, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(config.data_dir), "annotate", "--no-progress", "--json", *args],
        obj={},
        env={},
    )
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def stored_labels(config: Config, track_ids: list[str]) -> dict[str, dict[str, Any]]:
    store: Store = open_backend(STORES, config["store_url"])
    try:
        return {t: store.get_labels(t) or {} for t in track_ids}
    finally:
        store.close()


def test_annotate_labels_every_track_keeps_other_labels_and_reruns_idempotently(
    world: tuple[Config, Model],
) -> None:
    config, model = world
    first = run(config)
    assert first["tracks"] == first["written"] == len(model.item_ids)
    assert set(first["labelers"]) == {"audio", "text", "playlists", "era"}
    assert first["labelers"]["audio"]["labelled"] == 30
    assert first["labelers"]["audio"]["skip_reasons"] == {
        "no audio features (run tastemaker analyze)": len(model.item_ids) - 30
    }
    assert first["labelers"]["playlists"]["labelled"] > 0  # the simulated listeners made playlists
    labels = stored_labels(config, model.item_ids)
    lead = labels[model.item_ids[0]]
    assert lead["lyrics"] == {"valence": 0.2, "themes": {"heartbreak": 0.8}}  # kept as it was
    mood = lead["annotations"]["mood"]
    assert {s["labeler"] for s in mood["sources"]} >= {"audio", "text"}  # both spoke, both kept
    assert lead["annotations"]["activity"]["value"] == "workout"
    assert lead["annotations"]["theme"]["value"] == "heartbreak"
    assert all(0 < a["confidence"] <= 1 for a in lead["annotations"].values())
    assert sum("era" in x["annotations"] for x in labels.values()) == first["labelers"]["era"]["labelled"]

    again = run(config)
    assert (again["written"], again["unchanged"]) == (0, len(model.item_ids))
    assert stored_labels(config, model.item_ids) == labels


def test_annotate_one_track_with_one_labeler_and_the_llm_over_loopback(world: tuple[Config, Model]) -> None:
    config, model = world
    track = model.item_ids[1]
    assert run(config, "--labeler", "audio", "--track", track)["tracks"] == 1
    with chat_stub() as stub:
        host, port = stub.server_address[:2]
        report = run(
            config, "--labeler", "llm", "--track", "error-track", "--llm-url", f"http://{host!s}:{port}"
        )
    assert report["labelers"]["llm"]["skipped"] == 1
    assert next(iter(report["labelers"]["llm"]["skip_reasons"])).startswith("HTTPStatusError")


def test_unknown_labeler_is_a_clear_error(world: tuple[Config, Model]) -> None:
    config, _ = world
    result = CliRunner().invoke(
        cli, ["--data-dir", str(config.data_dir), "annotate", "--labeler", "nope"], obj={}, env={}
    )
    assert result.exit_code == 1 and "unknown labeler 'nope'" in result.output


def annotation(genre: str | None, mood: str | None) -> dict[str, Any]:
    found = {"genre": genre, "mood": mood}
    return {k: {"value": v, "confidence": 0.7, "sources": []} for k, v in found.items() if v}


def test_daily_mix_names_use_the_dominant_annotated_mood_and_genre() -> None:
    tracks = [Track(track_id=str(i), name=str(i)) for i in range(4)]
    indie = [Track(track_id=str(i), name=str(i), genres=["indie"]) for i in range(4)]
    chill_hiphop = [annotation("hip hop", "chill")] * 3 + [annotation("rock", "sad")]
    assert mix_name(tracks, ["A"], chill_hiphop) == ("Chill Hip Hop Mix", "A")
    assert mix_name(indie, ["A"], chill_hiphop)[0] == "Chill Indie Mix"  # the catalog's genre first
    assert mix_name(tracks, ["A"], [annotation(None, "happy")] * 2)[0] == "Happy Mix"
    mixed = [annotation("edm", "happy"), annotation("rock", "sad"), annotation("pop", "chill"), {}]
    assert mix_name(tracks, ["A", "B"], mixed)[0] == "A Mix"  # nothing dominates: the artist's mix
    assert mix_name(tracks, ["A"]) == ("A Mix", "A")


def test_dj_segments_mention_the_shared_mood_and_activity() -> None:
    picks = [Said("discovery", "A", 120.0, "chill", "focus"), Said("discovery", "B", 121.0, "chill", None)]
    assert segment(picks) == "Something new in the same vein… A chill stretch, good for focus."
    assert segment([Said("discovery", "A", 120.0, "happy"), Said("discovery", "B", 150.0)]) == (
        "Something new in the same vein… Keeping it happy. Picking up the pace."
    )
    assert segment([Said("discovery", "A", None)]) == "Something new in the same vein…"


def test_the_model_file_ships_in_the_package() -> None:
    from tastemaker.annotate import genre_model

    assert genre_model.MODEL_FILE.parent == Path(genre_model.__file__).parent
    assert genre_model.shipped().classes == ("edm", "hip hop", "latin", "pop", "r&b", "rock")
