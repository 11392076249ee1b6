"""The event stream: deterministic, valid at the API's edge, time-ordered, and true to latent taste."""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import islice, pairwise

import msgspec
import pytest

from tastemaker.events.schema import Event, Play, Skip, TrackAdded
from tastemaker.events.validate import parse_event
from tastemaker.simulate import World, events, listening_events
from tastemaker.simulate.listeners import taste_on

START = date(2024, 3, 1)
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def digest(world: World, n: int) -> str:
    h = hashlib.sha256()
    for event in islice(events(world), n):
        h.update(msgspec.json.encode(event))
    return h.hexdigest()


def build(seed: int = 1, users: int = 60, tracks: int = 2_000, days: int = 14) -> World:
    return World.build(seed=seed, users=users, tracks=tracks, start=START, days=days)


@pytest.fixture(scope="module")
def stream() -> list[Event]:
    return list(events(build()))


def test_same_seed_gives_a_byte_identical_stream() -> None:
    assert digest(build(), 20_000) == digest(build(), 20_000)


def test_another_seed_gives_another_stream() -> None:
    assert digest(build(seed=1), 5_000) != digest(build(seed=2), 5_000)


def test_a_listener_does_not_depend_on_the_others_or_on_later_days() -> None:
    """So growing a demo (more users, more days) only adds events: the old ones keep their ids."""
    small = [e for e in listening_events(build(users=20, days=7)) if e.user_id == "user00007"]
    large = [e for e in listening_events(build(users=40, days=10)) if e.user_id == "user00007"]
    assert small and large[: len(small)] == small


def test_catalog_comes_first_with_every_track(stream: list[Event]) -> None:
    added = [e for e in stream if isinstance(e, TrackAdded)]
    assert len(added) == 2_000
    assert stream[: len(added)] == added
    first = added[0]
    assert first.user_id == "catalog" and first.ts == datetime(2024, 3, 1, tzinfo=UTC)
    assert first.genres and first.release_date and first.artist_id and first.album_id
    assert first.popularity is not None and 0 <= first.popularity <= 100


def test_every_event_passes_the_api_validator_unchanged(stream: list[Event]) -> None:
    for event in stream:
        raw = msgspec.json.decode(msgspec.json.encode(event))
        parsed = parse_event(raw, now=NOW)
        assert parsed.event_id == event.event_id
        assert msgspec.structs.replace(parsed, received_at=None) == event


def test_event_ids_are_unique_and_all_types_occur(stream: list[Event]) -> None:
    assert len({e.event_id for e in stream}) == len(stream)
    kinds = Counter(type(e).__name__ for e in stream)
    for kind in ("Play", "Skip", "Like", "PlaylistCreate", "PlaylistAdd", "Follow", "Search", "TrackAdded"):
        assert kinds[kind] > 0, kind


def sessions_of(stream: list[Event]) -> dict[str, list[Event]]:
    sessions: dict[str, list[Event]] = defaultdict(list)
    for event in stream:
        if event.user_id != "catalog":
            sessions[event.event_id.rsplit(".", 1)[0]].append(event)
    return sessions


def test_time_is_strictly_increasing_within_sessions(stream: list[Event]) -> None:
    sessions = sessions_of(stream)
    assert len(sessions) > 500
    for session in sessions.values():
        assert all(a.ts < b.ts for a, b in pairwise(session))
        listens = [e for e in session if isinstance(e, Play | Skip)]
        for a, b in pairwise(listens):
            assert a.ts + timedelta(milliseconds=a.ms_played) < b.ts, "a track ends before the next starts"


def test_a_listeners_sessions_do_not_overlap(stream: list[Event]) -> None:
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for session in sessions_of(stream).values():
        spans[session[0].user_id].append((session[0].ts, session[-1].ts))
    for user_spans in spans.values():
        user_spans.sort()
        assert all(a[1] < b[0] for a, b in pairwise(user_spans))


def test_sessions_start_mostly_by_day_and_evening_local_time(stream: list[Event]) -> None:
    world = build()
    hours: Counter[int] = Counter()
    for session in sessions_of(stream).values():
        tz = world.listener(int(session[0].user_id[4:])).tz_hours
        hours[(session[0].ts.hour + tz) % 24] += 1
    night = sum(hours[h] for h in range(1, 6))
    evening = sum(hours[h] for h in range(17, 22))
    assert evening > 4 * night


def test_plays_follow_latent_taste_and_skips_follow_skip_propensity() -> None:
    world = World.build(seed=3, users=120, tracks=4_000, start=START, days=21)
    genre_plays: dict[int, Counter[int]] = defaultdict(Counter)
    listens, skips = Counter[int](), Counter[int]()
    for event in listening_events(world):
        if isinstance(event, Play | Skip):
            user = int(event.user_id[4:])
            listens[user] += 1
            if isinstance(event, Skip):
                skips[user] += 1
            else:
                genre_plays[user].update(world.catalog.track_genres(int(str(event.track_id)[5:])))
    matches, active, propensity, rate = 0, 0, [], []
    for user in (u for u in range(world.users) if listens[u] >= 50):
        listener = world.listener(user)
        latent: Counter[int] = Counter()
        for day in range(world.days):
            latent.update(taste_on(listener, world.seed, day).fit)
        matches += latent.most_common(1)[0][0] == genre_plays[user].most_common(1)[0][0]
        active += 1
        propensity.append(listener.skip_propensity)
        rate.append(skips[user] / listens[user])
    assert active > 80
    assert matches / active > 0.75
    assert statistics.correlation(propensity, rate) > 0.5
    assert 0.1 < sum(skips.values()) / sum(listens.values()) < 0.35


def test_shards_partition_the_stream_by_listener(stream: list[Event]) -> None:
    world = build()
    shards = [list(events(world, shard=(k, 3))) for k in range(3)]
    assert sum(len(s) for s in shards) == len(stream)
    encoded = sorted(msgspec.json.encode(e) for s in shards for e in s)
    assert encoded == sorted(msgspec.json.encode(e) for e in stream)
    assert not any(isinstance(e, TrackAdded) for e in shards[1] + shards[2])
    assert {int(e.user_id[4:]) % 3 for e in shards[2]} == {2}
    with pytest.raises(ValueError, match="0 <= k < n"):
        next(events(world, shard=(3, 3)))


def test_the_listener_cache_changes_speed_not_events() -> None:
    cached, evicting = build(), build()
    evicting._cache.capacity = 3
    assert list(listening_events(cached)) == list(listening_events(evicting))
