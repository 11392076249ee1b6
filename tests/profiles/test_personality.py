"""The four Listening-Personality axes, from real events through the real profiler."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from tastemaker.platform import Platform
from tastemaker.profiles.affinity import Affinity
from tastemaker.profiles.personality import (
    age_value,
    commonality_uniqueness,
    effective_artists,
    loyalty_variety,
    release_ts,
    timelessness_newness,
)
from tests.profiles.listening import Listening

T0 = datetime(2025, 5, 1, tzinfo=UTC)


def axis(world: Listening, user: str, name: str, *, now: datetime | None = None) -> dict[str, object]:
    result: dict[str, object] = world.view(user, now=now)["personality"][name]
    return result


def test_exploration_when_every_play_is_new_familiarity_when_replaying(platform: Platform) -> None:
    world = Listening(platform, T0)
    for i in range(30):
        world.track(f"n{i}", artist=f"Artist {i}")
        world.play("explorer", f"n{i}")
    for i in range(3):
        world.track(f"r{i}", artist="Regular")
    for _ in range(10):
        for i in range(3):
            world.play("homebody", f"r{i}")
    world.run()
    explorer = axis(world, "explorer", "familiarity_exploration")
    assert explorer["score"] == 1.0 and explorer["leans"] == "exploration"
    assert explorer["evidence"] == pytest.approx(30, rel=1e-3)
    homebody = axis(world, "homebody", "familiarity_exploration")
    # 1st play new (0), 2nd and 3rd by a known artist (0.5), the other 27 known tracks (1)
    assert homebody["score"] == pytest.approx(1 - 2 * 28 / 30, abs=1e-3)
    assert homebody["leans"] == "familiarity"


def test_exploration_rises_when_a_listener_turns_to_new_artists(platform: Platform) -> None:
    world = Listening(platform, T0)
    for i in range(5):
        world.track(f"old{i}", artist="Old Favourite")
    for _ in range(8):
        for i in range(5):
            world.play("u", f"old{i}")
    world.run()
    before = axis(world, "u", "familiarity_exploration")
    for i in range(20):  # three weeks later: twenty artists never heard before
        world.track(f"new{i}", artist=f"Newcomer {i}")
        world.play("u", f"new{i}", minutes=60 * 24 * 21 + i)
    world.run()
    after = axis(world, "u", "familiarity_exploration", now=T0 + timedelta(days=21, minutes=20))
    assert isinstance(before["score"], float) and isinstance(after["score"], float)
    assert isinstance(before["short_term"], float) and isinstance(after["short_term"], float)
    assert before["short_term"] < -0.8 and after["short_term"] > 0.4
    assert after["short_term"] > after["score"] > before["score"]  # the short term turns first


def test_loyalty_when_one_artist_dominates_variety_when_many_share(platform: Platform) -> None:
    world = Listening(platform, T0)
    for i in range(10):
        world.track(f"f{i}", artist="The Only Band")
        world.play("fan", f"f{i}")
    for i in range(10):
        world.track(f"even{i}", artist=f"Even {i}")
        world.play("even10", f"even{i}")
    for i in range(150):
        world.track(f"wide{i}", artist=f"Wide {i}")
        world.play("wide", f"wide{i}")
    world.run()
    fan = axis(world, "fan", "loyalty_variety")
    assert fan["score"] == -1.0 and fan["leans"] == "loyalty"
    assert axis(world, "even10", "loyalty_variety")["score"] == pytest.approx(0.0, abs=1e-3)
    wide = axis(world, "wide", "loyalty_variety")
    assert wide["score"] == 1.0 and wide["leans"] == "variety"


def test_newness_with_fresh_releases_timelessness_with_old_ones(platform: Platform) -> None:
    world = Listening(platform, T0)
    for i in range(5):
        world.track(f"fresh{i}", release_date="2025-04-20")
        world.track(f"classic{i}", release_date=f"{1965 + i}")
        world.play("fresh", f"fresh{i}")
        world.play("classic", f"classic{i}")
    world.track("undated")
    world.play("undated", "undated")
    world.play("fresh", "undated")  # no release date: adds nothing, does not pull towards 0
    world.run()
    fresh = axis(world, "fresh", "timelessness_newness")
    assert isinstance(fresh["score"], float) and fresh["score"] > 0.95 and fresh["leans"] == "newness"
    assert fresh["evidence"] == pytest.approx(5, rel=1e-3)
    assert axis(world, "classic", "timelessness_newness")["score"] == -1.0
    assert axis(world, "undated", "timelessness_newness") == {
        "score": None,
        "short_term": None,
        "leans": None,
        "evidence": 0.0,
    }


def test_uniqueness_with_obscure_tracks_commonality_with_hits(platform: Platform) -> None:
    world = Listening(platform, T0)
    for i in range(4):
        world.track(f"hit{i}", popularity=90.0 + i)
        world.track(f"deep{i}", popularity=4.0 + i)
        world.play("mainstream", f"hit{i}")
        world.play("digger", f"deep{i}")
    world.track("unrated")
    world.play("digger", "unrated")
    world.run()
    assert axis(world, "mainstream", "commonality_uniqueness")["score"] == pytest.approx(
        1 - 91.5 / 50, abs=1e-3
    )
    digger = axis(world, "digger", "commonality_uniqueness")
    assert digger["score"] == pytest.approx(1 - 5.5 / 50, abs=1e-3) and digger["leans"] == "uniqueness"


def test_the_code_names_each_axis_and_marks_unknown_ones(platform: Platform) -> None:
    world = Listening(platform, T0)
    for i in range(20):
        world.track(f"t{i}", artist=f"A{i}", release_date="2025-04", popularity=10.0)
        world.play("u", f"t{i}")
    world.track("bare", artist="B")
    world.play("v", "bare")
    world.run()
    assert world.view("u")["personality"]["code"] == "EVNU"
    assert world.view("v")["personality"]["code"] == "EL??"


def test_release_dates_parse_to_their_middle() -> None:
    assert release_ts("2020-05-17") == datetime(2020, 5, 17, tzinfo=UTC).timestamp()
    assert release_ts("2020-05") == datetime(2020, 5, 15, tzinfo=UTC).timestamp()
    assert release_ts("2020") == datetime(2020, 7, 2, tzinfo=UTC).timestamp()
    assert release_ts("2020-05-17T10:00:00Z") == datetime(2020, 5, 17, tzinfo=UTC).timestamp()
    assert release_ts("2001/03") == datetime(2001, 3, 15, tzinfo=UTC).timestamp()
    for bad in ("", "unknown", "2020-13", "20x0"):
        assert release_ts(bad) is None
    played = datetime(2023, 5, 17, tzinfo=UTC).timestamp()
    assert age_value(played, datetime(2020, 5, 17, tzinfo=UTC).timestamp()) == pytest.approx(
        math.log(4), abs=1e-3
    )
    assert age_value(played, played + 86400) == 0.0  # a pre-release play is age 0


def test_curves_hit_their_documented_points() -> None:
    assert timelessness_newness(0.0) == 1.0
    assert timelessness_newness(math.log1p(3)) == pytest.approx(0.0)
    assert timelessness_newness(math.log1p(15)) == pytest.approx(-1.0)
    assert loyalty_variety(1.0) == -1.0 and loyalty_variety(10.0) == pytest.approx(0.0)
    assert loyalty_variety(1000.0) == 1.0
    assert commonality_uniqueness(50.0) == 0.0 and commonality_uniqueness(100.0) == -1.0
    table = {"a": Affinity(3.0, 3.0, 0.0), "b": Affinity(1.0, 1.0, 0.0), "c": Affinity(-5.0, -5.0, 0.0)}
    found = effective_artists(table, now=0.0, half_life_s=1.0, long=True)
    assert found == pytest.approx((1 / (0.75**2 + 0.25**2), 4.0))  # skipped-away artists are left out
    assert effective_artists({}, now=0.0, half_life_s=1.0, long=True) is None
