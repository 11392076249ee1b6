"""Annotation labels feed the Taste Profile: the real annotator labels, the real profiler folds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tastemaker.annotate.era import EraLabeler
from tastemaker.annotate.run import annotate
from tastemaker.platform import Platform
from tastemaker.profiles.labels import track_labels
from tastemaker.profiles.row_cache import LabelCache
from tests.profiles.listening import Listening

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def test_played_tracks_labels_become_label_affinities(platform: Platform) -> None:
    world = Listening(platform, T0)
    for n in range(3):
        world.track(f"nineties{n}", release_date=f"199{n}-05-01")
    world.track("new", release_date="2021-01-01")
    report = annotate(platform.store, ["nineties0", "nineties1", "nineties2", "new"], [EraLabeler()])
    assert report.written == 4
    for n in range(3):
        world.play("u", f"nineties{n}")
    world.skip("u", "new")
    world.run()
    eras = world.view("u")["top_labels"]["era"]
    # three full plays of 1990s tracks ("90s"); the 2021 track ("20s") was only skipped (negative: not listed)
    assert [item["id"] for item in eras["long_term"]] == ["90s"]
    assert world.profile("u").labels["era:20s"].long < 0
    confidence = track_labels(platform.store.get_labels("nineties0"))[0][1]
    assert eras["long_term"][0]["score"] == pytest.approx(3 * confidence, rel=1e-3)


def test_labels_written_after_a_play_reach_the_next_plays(platform: Platform) -> None:
    """The label cache remembers "no labels" only for a while, as the audio cache does."""
    world = Listening(platform, T0)
    world.track("t", release_date="1984-01-01")
    world.play("u", "t")
    world.run()
    assert world.profile("u").labels == {}
    annotate(platform.store, ["t"], [EraLabeler()])
    clock = [0.0]
    cache = LabelCache(platform.store, miss_ttl_s=60.0, clock=lambda: clock[0])
    assert cache.get_many(["x", "t"]) == {"t": track_labels(platform.store.get_labels("t"))}
    assert cache.reads == 2
    cache.get_many(["x", "t"])
    assert cache.reads == 2  # both answers cached, the miss too
    clock[0] = 61.0
    cache.get_many(["x"])
    assert cache.reads == 3  # the miss expired and was read again


def test_track_labels_keeps_known_kinds_with_a_valid_confidence() -> None:
    row = {
        "annotations": {
            "mood": {"value": "sad", "confidence": 0.4},
            "genre": {"value": "jazz", "confidence": 0.9},  # the catalog's genres feed the genre table
            "activity": {"value": "sleep", "confidence": 0.0},
            "vocal": {"value": "instrumental", "confidence": 1.7},
            "theme": {"value": "love", "confidence": 0.3},
        },
        "lyrics": {"valence": 0.1},
    }
    assert track_labels(row) == (("mood:sad", 0.4), ("theme:love", 0.3))
    assert track_labels({"annotations": "not a mapping"}) == ()


def test_the_profile_view_groups_labels_by_kind(platform: Platform) -> None:
    world = Listening(platform, T0)
    world.track("old", release_date="1975-01-01")
    annotate(platform.store, ["old"], [EraLabeler()])
    world.play("u", "old", minutes=0)
    world.run()
    view = world.view("u", now=T0 + timedelta(days=30))["top_labels"]
    assert set(view) == {"era"}
    short, long = view["era"]["short_term"][0]["score"], view["era"]["long_term"][0]["score"]
    assert 0 < short < long  # a month later the 7-day horizon has faded more than the 180-day one
