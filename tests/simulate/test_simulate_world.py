"""The catalog and the listeners: plausible, stable, and the same for the same seed."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from tastemaker.simulate import World
from tastemaker.simulate.catalog import build_catalog
from tastemaker.simulate.genres import GENRES
from tastemaker.simulate.listeners import EPOCH_DAYS, make_listener, taste_on

START = date(2024, 1, 1)


@pytest.fixture(scope="module")
def world() -> World:
    return World.build(seed=7, users=300, tracks=5_000, start=START, days=30)


def test_catalog_has_the_asked_size_and_about_ten_tracks_per_artist(world: World) -> None:
    catalog = world.catalog
    assert catalog.n_tracks == 5_000
    assert 350 <= catalog.n_artists <= 650
    assert catalog.artist_first_track[-1] == catalog.album_first_track[-1] == 5_000


def test_albums_hold_5_to_15_tracks_of_one_artist(world: World) -> None:
    catalog = world.catalog
    sizes = [b - a for a, b in zip(catalog.album_first_track, catalog.album_first_track[1:], strict=False)]
    assert all(5 <= size <= 15 for size in sizes[:-1])
    for album, first in enumerate(catalog.album_first_track[:-1]):
        assert catalog.track_album[first] == album
        assert catalog.track_artist[first] == catalog.album_artist[album]


def test_tracks_are_plausible(world: World) -> None:
    catalog = world.catalog
    assert all(90_000 <= ms <= 480_000 for ms in catalog.track_duration_ms)
    assert all("1960-01-01" <= day < START.isoformat() for day in catalog.album_release)
    recent = sum(day >= "2014-01-01" for day in catalog.album_release) / len(catalog.album_release)
    assert recent > 0.4, "release dates should skew recent"
    assert all(1 <= len(genres) <= 3 for genres in catalog.artist_genres)
    assert len({name for name in catalog.artist_names}) > 0.95 * catalog.n_artists
    assert len(GENRES) >= 40


def test_popularity_is_zipf_like(world: World) -> None:
    catalog = world.catalog
    popularity = sorted((catalog.popularity(t) for t in range(catalog.n_tracks)), reverse=True)
    assert popularity[0] == 100.0
    assert popularity[-1] == 0.0
    weights = sorted(catalog.track_weight, reverse=True)
    top_share = sum(weights[: len(weights) // 100]) / sum(weights)
    assert top_share > 0.1, "the top 1% of tracks should draw a large share of listening"


def test_same_seed_same_catalog_and_other_seed_differs() -> None:
    one = build_catalog(seed=1, n_tracks=500, start=START)
    two = build_catalog(seed=1, n_tracks=500, start=START)
    other = build_catalog(seed=2, n_tracks=500, start=START)
    assert one.track_names == two.track_names and one.artist_names == two.artist_names
    assert list(one.track_duration_ms) == list(two.track_duration_ms)
    assert one.track_names != other.track_names


def test_listeners_are_a_function_of_seed_and_index() -> None:
    assert make_listener(5, 42) == make_listener(5, 42)
    assert make_listener(5, 42) != make_listener(6, 42)
    listener = make_listener(5, 42)
    assert listener.user_id == "user00042"
    assert abs(sum(listener.weights) - 1.0) < 1e-9
    assert list(listener.weights) == sorted(listener.weights, reverse=True)


def test_tastes_drift_slowly() -> None:
    listener = make_listener(3, 9)
    days = [taste_on(listener, 3, day) for day in range(0, 6 * EPOCH_DAYS)]
    for before, after in itertools.pairwise(days):
        shared = set(before.fit) & set(after.fit)
        assert max(abs(before.fit[g] - after.fit[g]) for g in shared) < 0.35
    assert days[0].fit != days[-1].fit


def test_world_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="at least one track"):
        World.build(seed=1, users=1, tracks=0, start=START, days=1)
    with pytest.raises(ValueError, match=">= 0"):
        World.build(seed=1, users=-1, tracks=10, start=START, days=1)
