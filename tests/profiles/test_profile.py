"""The Taste Profile: decayed affinities, counts, idempotent and order-independent folding."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from tastemaker.events.schema import Like, Play, Skip
from tastemaker.profiles.affinity import Affinity, add, at, prune
from tastemaker.profiles.profile import (
    DAY_S,
    ProfileParams,
    TasteProfile,
    apply_event,
    decode,
    encode,
    summary,
)
from tastemaker.storage.models import Track

T0 = datetime(2025, 1, 1, tzinfo=UTC)
PARAMS = ProfileParams(short_half_life_s=7 * DAY_S, long_half_life_s=180 * DAY_S, top_k=3)
TRACK = Track(track_id="t1", name="Song", artist_name="Band", genres=["jazz", "soul"], duration_ms=200_000)


def test_scores_halve_after_one_half_life() -> None:
    score = Affinity()
    add(score, 1.0, ts=0.0, short_half_life_s=10, long_half_life_s=100)
    assert at(score, ts=10.0, half_life_s=10, long=False) == pytest.approx(0.5)
    assert at(score, ts=100.0, half_life_s=100, long=True) == pytest.approx(0.5)


def test_out_of_order_events_give_the_same_score() -> None:
    ordered, shuffled = Affinity(), Affinity()
    for ts in (0.0, 5.0, 9.0):
        add(ordered, 1.0, ts=ts, short_half_life_s=10, long_half_life_s=100)
    for ts in (9.0, 0.0, 5.0):
        add(shuffled, 1.0, ts=ts, short_half_life_s=10, long_half_life_s=100)
    assert math.isclose(ordered.short, shuffled.short) and math.isclose(ordered.long, shuffled.long)


def test_prune_keeps_the_strongest_and_bounds_size() -> None:
    table = {str(i): Affinity(long=float(i)) for i in range(7)}
    prune(table, keep=3)
    assert sorted(table) == ["4", "5", "6"]


def test_apply_counts_and_affinities() -> None:
    profile = TasteProfile(user_id="u")
    apply_event(
        profile, Play(user_id="u", ts=T0, track_id="t1", ms_played=100_000, context="album:x"), TRACK, PARAMS
    )
    apply_event(
        profile, Skip(user_id="u", ts=T0 + timedelta(days=1), track_id="t1", ms_played=5_000), TRACK, PARAMS
    )
    apply_event(profile, Like(user_id="u", ts=T0 + timedelta(days=2), track_id="t1"), TRACK, PARAMS)
    assert (profile.plays, profile.skips, profile.likes, profile.ms_played) == (1, 1, 1, 105_000)
    assert profile.first_listen == T0 and profile.last_listen == T0 + timedelta(days=1)
    assert profile.skips_by_context == {"album": [0, 1], "unknown": [1, 1]}
    assert set(profile.genres) == {"jazz", "soul"}
    view = summary(decode(encode(profile)), PARAMS, now=T0 + timedelta(days=2))
    assert view["skip_rate"] == 0.5
    assert view["top_artists"]["long_term"][0]["id"] == "Band"
    assert view["top_tracks"]["short_term"][0]["score"] == pytest.approx(
        0.5 * 2 ** (-2 / 7) - 0.5 * 2 ** (-1 / 7) + 2, abs=1e-4
    )


def test_tables_stay_bounded_under_many_tracks() -> None:
    profile = TasteProfile(user_id="u")
    for i in range(1000):
        apply_event(
            profile,
            Play(user_id="u", ts=T0, track_id=f"t{i}", artist_name=f"a{i}", ms_played=1),
            None,
            PARAMS,
        )
    assert len(profile.tracks) <= 2 * PARAMS.top_k and len(profile.artists) <= 2 * PARAMS.top_k
