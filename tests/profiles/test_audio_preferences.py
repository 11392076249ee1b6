"""The audio-feature preference distribution and the user vector, through the real profiler."""

from __future__ import annotations

import math
import random
import statistics
from datetime import UTC, datetime, timedelta

import msgspec
import numpy as np
import pytest

from tastemaker.audio.model import AudioFeatures, AudioResult
from tastemaker.audio.records import save_result
from tastemaker.catalog.track_cache import TrackCache
from tastemaker.events.schema import Play
from tastemaker.platform import Platform, profile_params
from tastemaker.profiles.audio_features import AUDIO_BASIS, ROW_WIDTH, ItemVector, track_audio
from tastemaker.profiles.decayed import item_row, vector_mean
from tastemaker.profiles.profile import DAY_S, ProfileParams, TasteProfile, apply_event, summary
from tastemaker.profiles.profiler import Profiler
from tastemaker.profiles.row_cache import AudioCache
from tests.profiles.listening import Listening, audio_features

T0 = datetime(2025, 5, 1, tzinfo=UTC)


def unit(*values: float) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values] + [0.0] * (12 - len(values))


def test_a_high_energy_listener_has_the_energy_of_what_they_play(platform: Platform) -> None:
    world = Listening(platform, T0)
    loud = [world.track(f"h{i}", features=audio_features(energy=0.80 + 0.02 * i)) for i in range(6)]
    quiet = [world.track(f"q{i}", features=audio_features(energy=0.05 + 0.01 * i)) for i in range(6)]
    for _ in range(3):
        for track_id in loud:
            world.play("loud", track_id)
        for track_id in quiet:
            world.play("quiet", track_id)
    world.run()
    energies = [0.80 + 0.02 * i for i in range(6)]
    for horizon in ("short_term", "long_term"):
        energy = world.view("loud")["audio_features"][horizon]["energy"]
        assert energy["mean"] == pytest.approx(statistics.fmean(energies), abs=1e-3)
        assert energy["std"] == pytest.approx(statistics.pstdev(energies), abs=1e-3)
    assert world.view("quiet")["audio_features"]["long_term"]["energy"]["mean"] == pytest.approx(
        0.075, abs=1e-3
    )
    assert world.view("loud")["audio_features"]["evidence"]["long_term"] == pytest.approx(18, rel=1e-3)


def test_plays_weigh_by_completion_likes_double_and_skips_are_left_out(platform: Platform) -> None:
    world = Listening(platform, T0)
    world.track("hot", features=audio_features(energy=0.9, tempo=150.0))
    world.track("cold", features=audio_features(energy=0.1, tempo=70.0))
    world.play("u", "hot")  # weight 1
    world.play("u", "cold", ms_played=50_000)  # a quarter of 200 s: weight 0.25
    for _ in range(5):
        world.skip("u", "cold")  # skips say "not this": they must not pull the mean towards it
    world.run()
    view = world.view("u")["audio_features"]["long_term"]
    assert view["energy"]["mean"] == pytest.approx((0.9 + 0.1 * 0.25) / 1.25, abs=1e-3)
    assert view["tempo"]["mean"] == pytest.approx((150 + 70 * 0.25) / 1.25, abs=0.01)
    world.like("u", "cold")  # weight 2
    world.run()
    view = world.view("u")["audio_features"]["long_term"]
    assert view["energy"]["mean"] == pytest.approx((0.9 + 0.1 * 2.25) / 3.25, abs=1e-3)


def test_tracks_without_features_contribute_nothing(platform: Platform) -> None:
    world = Listening(platform, T0)
    world.track("bare")
    world.track("known", features=audio_features(valence=0.2))
    for _ in range(4):
        world.play("none", "bare")
    world.run()
    view = world.view("none")
    assert (
        view["audio_features"]["long_term"] is None and view["audio_features"]["evidence"]["long_term"] == 0
    )
    assert view["embeddings"] == {}
    world.play("mixed", "bare")
    world.play("mixed", "known")
    world.play("mixed", "bare")
    world.run()
    mixed = world.view("mixed")["audio_features"]
    assert mixed["long_term"]["valence"] == {"mean": 0.2, "std": 0.0}
    assert mixed["evidence"]["long_term"] == pytest.approx(1.0, rel=1e-3)


def test_key_is_averaged_on_the_circle_of_fifths(platform: Platform) -> None:
    world = Listening(platform, T0)
    for key in (0, 7, 2):  # C, G, D: neighbours on the circle of fifths, centred on G
        world.track(f"k{key}", features=audio_features(key=key))
    world.track("nokey", features=audio_features(key=-1))
    for key in (0, 7, 2):
        world.play("u", f"k{key}")
    for _ in range(3):
        world.play("u", "nokey")  # no key detected: leaves the key summary alone
    world.run()
    key = world.view("u")["audio_features"]["long_term"]["key"]
    assert key["mean"] == 7  # the arithmetic mean of 0, 7, 2 would be 3 (D#), far from all three
    assert key["circular_variance"] == pytest.approx(1 - (1 + 2 * math.cos(math.pi / 6)) / 3, abs=1e-4)
    mode = world.view("u")["audio_features"]["long_term"]["mode"]
    assert mode == {"mean": 1.0, "std": 0.0}


def test_the_audio_vector_is_folded_into_the_user_vector(platform: Platform) -> None:
    world = Listening(platform, T0)
    a, b = unit(1.0, 0.0, 0.5), unit(0.0, 1.0)
    world.track("a", features=audio_features(), vector=a)
    world.track("b", features=audio_features(), vector=b)
    world.play("u", "a")
    world.play("u", "b", ms_played=100_000)  # weight 0.5
    world.run()
    audio = world.view("u")["embeddings"]["audio"]
    assert audio["version"] == AUDIO_BASIS and audio["dim"] == 12
    expected = [(x + 0.5 * y) / 1.5 for x, y in zip(a, b, strict=True)]
    assert audio["long_term"] == pytest.approx(expected, abs=1e-4)
    assert audio["short_term"] == pytest.approx(expected, abs=1e-4)
    assert audio["evidence"]["long_term"] == pytest.approx(1.5, rel=1e-3)


def test_recent_plays_dominate_the_short_term_vector() -> None:
    profile, params = TasteProfile(user_id="u"), ProfileParams()
    old, new = (
        track_audio(_row(energy=0.2, vector=unit(1.0))),
        track_audio(_row(energy=0.9, vector=unit(0, 1))),
    )
    for day in range(10):
        apply_event(profile, _play(T0 + timedelta(days=day)), None, params, audio=old)
    for day in range(60, 63):
        apply_event(profile, _play(T0 + timedelta(days=day)), None, params, audio=new)
    view = summary(profile, params, now=T0 + timedelta(days=63))
    for horizon, half_life_days in (("short_term", 7), ("long_term", 180)):
        old_w = sum(2 ** (day / half_life_days) for day in range(10))
        new_w = sum(2 ** (day / half_life_days) for day in range(60, 63))
        share = new_w / (old_w + new_w)
        vector = view["embeddings"]["audio"][horizon]
        assert vector[:2] == pytest.approx([1 - share, share], abs=1e-5)
        energy = view["audio_features"][horizon]["energy"]["mean"]
        assert energy == pytest.approx(0.2 + 0.7 * share, abs=1e-4)
    assert view["embeddings"]["audio"]["short_term"][1] > 0.98  # two months back is 8.6 half-lives
    assert view["embeddings"]["audio"]["long_term"][1] < 0.3  # but a third of a long one


def test_a_new_vector_version_starts_the_user_vector_over() -> None:
    profile, params = TasteProfile(user_id="u"), ProfileParams()
    apply_event(
        profile, _play(T0), None, params, item_vectors=[ItemVector("als", "m1", item_row([1.0, 0.0]))]
    )
    apply_event(
        profile, _play(T0), None, params, item_vectors=[ItemVector("als", "m2", item_row([0.0, 3.0]))]
    )
    als = profile.embeddings["als"]
    assert als.version == "m2" and als.dim == 2
    mean = vector_mean(als, long=True)
    assert mean is not None and mean.tolist() == [0.0, 3.0]


def test_a_re_analysis_refines_the_audio_vector_without_restarting_it(platform: Platform) -> None:
    world = Listening(platform, T0)
    world.track("a", features=audio_features(), vector=unit(1.0))
    world.play("u", "a")
    world.run()
    clock = [0.0]
    cache = AudioCache(platform.store, ttl_s=3600.0, clock=lambda: clock[0])
    profiler = Profiler(
        platform.store, TrackCache(platform.store), profile_params(platform.config), audio=cache
    )
    newer = msgspec.structs.replace(audio_features(energy=0.9), algorithm_version="tm-audio-2")
    save_result(platform.store, "a", AudioResult(features=newer, vector=unit(0, 1.0)))
    world.play("u", "a")
    platform.event_log.append(world.events)
    profiler.handle(platform.event_log.poll("t", 100).records)
    audio = world.view("u")["embeddings"]["audio"]
    assert audio["long_term"][:2] == pytest.approx([0.5, 0.5], abs=1e-4)  # one play in each: same basis
    assert audio["evidence"]["long_term"] == pytest.approx(2.0, rel=1e-3)


def test_cached_features_are_re_read_after_their_ttl(platform: Platform) -> None:
    world = Listening(platform, T0)
    world.track("a", features=audio_features(energy=0.2))
    clock = [0.0]
    cache = AudioCache(platform.store, ttl_s=100.0, clock=lambda: clock[0])
    assert cache.get_many(["a"])["a"].features is not None and cache.reads == 1
    save_result(platform.store, "a", AudioResult(features=audio_features(energy=0.4), vector=unit(1.0)))
    clock[0] = 99.0
    assert cache.reads == 1 and cache.get_many(["a"])["a"].vector is not None and cache.reads == 1
    clock[0] = 100.0
    audio = cache.get_many(["a"])["a"]
    assert cache.reads == 2 and audio.features is not None and audio.features[3] == 0.4


def test_order_of_events_does_not_change_the_distribution() -> None:
    rng = random.Random(7)
    params = ProfileParams(short_half_life_s=2 * DAY_S, long_half_life_s=30 * DAY_S)
    rows = [
        track_audio(_row(energy=rng.random(), tempo=60 + 120 * rng.random(), key=rng.randrange(12)))
        for _ in range(40)
    ]
    days = [rng.uniform(0, 90) for _ in rows]
    ordered, shuffled = TasteProfile(user_id="a"), TasteProfile(user_id="b")
    for audio, day in sorted(zip(rows, days, strict=True), key=lambda item: item[1]):
        apply_event(ordered, _play(T0 + timedelta(days=day)), None, params, audio=audio)
    pairs = list(zip(rows, days, strict=True))
    rng.shuffle(pairs)
    for audio, day in pairs:
        apply_event(shuffled, _play(T0 + timedelta(days=day)), None, params, audio=audio)
    now = T0 + timedelta(days=91)
    first, second = summary(ordered, params, now=now), summary(shuffled, params, now=now)
    assert first["audio_features"] == second["audio_features"]
    assert first["embeddings"] == second["embeddings"]


def test_years_of_plays_rebase_the_anchor_without_losing_precision() -> None:
    params = ProfileParams(short_half_life_s=1 * DAY_S, long_half_life_s=1000 * DAY_S)
    profile = TasteProfile(user_id="u")
    low, high = track_audio(_row(energy=0.2)), track_audio(_row(energy=0.8))
    apply_event(profile, _play(T0), None, params, audio=low)
    later = T0 + timedelta(days=300)  # 300 short half-lives: 2**300 would be unsafe to keep growing
    apply_event(profile, _play(later), None, params, audio=high)
    assert profile.anchor == later.timestamp()
    assert np.isfinite(profile.audio_features.sums).all()
    view = summary(profile, params, now=later)["audio_features"]
    assert view["short_term"]["energy"]["mean"] == pytest.approx(0.8, abs=1e-4)
    old = 2 ** (-300 / 1000)
    assert view["long_term"]["energy"]["mean"] == pytest.approx((0.2 * old + 0.8) / (old + 1), abs=1e-4)
    assert profile.audio_features.sums.shape == (2, ROW_WIDTH)


def test_features_that_appear_later_are_picked_up_after_the_miss_ttl(platform: Platform) -> None:
    world = Listening(platform, T0)
    world.track("t")
    clock = [0.0]
    cache = AudioCache(platform.store, miss_ttl_s=60.0, clock=lambda: clock[0])
    profiler = Profiler(
        platform.store, TrackCache(platform.store), profile_params(platform.config), audio=cache
    )

    def deliver() -> None:
        platform.event_log.append(world.events)
        world.events = []
        profiler.handle(platform.event_log.poll("t", 100).records)

    world.play("u", "t")
    world.play("u", "t")
    deliver()
    assert cache.reads == 1  # one read for two plays, and "no features" is remembered
    save_result(platform.store, "t", AudioResult(features=audio_features(energy=0.7), vector=unit(1.0)))
    world.play("u", "t")
    deliver()
    assert cache.reads == 1 and world.view("u")["audio_features"]["long_term"] is None
    clock[0] = 61.0
    world.play("u", "t")
    deliver()
    assert cache.reads == 2
    assert world.view("u")["audio_features"]["long_term"]["energy"]["mean"] == 0.7


def test_the_feature_cache_is_bounded(platform: Platform) -> None:
    world = Listening(platform, T0)
    for i in range(30):
        world.track(f"t{i}", features=audio_features())
    cache = AudioCache(platform.store, capacity=10)
    found = cache.get_many(f"t{i}" for i in range(30))
    assert len(found) == 30 and len(cache) == 10
    cache.get_many(["t29", "t28"])
    assert cache.reads == 30  # the most recent stayed


def test_partial_feature_rows_still_give_their_vector() -> None:
    audio = track_audio({"vector": unit(1.0), "algorithm_version": "v"})
    assert audio is not None and audio.features is None and audio.vector is not None
    assert track_audio({"tempo": 120.0}) is None
    assert track_audio(None) is None


def _row(*, vector: list[float] | None = None, **features: float) -> dict[str, object]:
    made = audio_features(**features)
    row: dict[str, object] = {name: getattr(made, name) for name in AudioFeatures.__struct_fields__}
    if vector is not None:
        row["vector"] = vector
    return row


def _play(ts: datetime) -> Play:
    return Play(user_id="u", ts=ts, track_id="t", ms_played=200_000, duration_ms=200_000)
