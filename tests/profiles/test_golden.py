"""Every on-disk format version of the Taste Profile stays readable (voyager-style golden files).

``v1/profile.msgpack`` was written by format 1; reading it now migrates it to the current format.
``v2/profile.msgpack`` was written by format 2 (``build_v2()`` below, when it was current);
``v3/profile.msgpack`` was written once by ``build_v3()`` (``python -m tests.profiles.test_golden``
writes the current version's file: run it only when adding a format version, never to make a failing
test pass).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tastemaker.events.schema import Event, Like, Play, Skip
from tastemaker.platform import Platform
from tastemaker.profiles.audio_features import ROW_WIDTH, ItemVector, track_audio
from tastemaker.profiles.decayed import item_row, vector_mean
from tastemaker.profiles.profile import (
    DAY_S,
    FORMAT_VERSION,
    ProfileParams,
    TasteProfile,
    apply_event,
    decode,
    encode,
    summary,
)
from tastemaker.storage.models import Track
from tests.profiles.listening import Listening, audio_features

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "profiles"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
PARAMS = ProfileParams(short_half_life_s=7 * DAY_S, long_half_life_s=180 * DAY_S, top_k=3)


def test_v1_profile_decodes_and_migrates_to_the_current_version() -> None:
    data = (GOLDEN / "v1" / "profile.msgpack").read_bytes()
    profile = decode(data)
    assert profile.version == FORMAT_VERSION == 3
    assert (profile.user_id, profile.plays, profile.skips, profile.likes) == ("golden", 1, 1, 1)
    assert profile.ms_played == 105_000 and profile.applied == {"3": 41}
    assert profile.first_listen == datetime(2025, 1, 1, tzinfo=UTC)
    assert profile.genres["jazz"].long == pytest.approx(0.5 * 2 ** (-2 / 180) - 0.5 * 2 ** (-1 / 180) + 2)
    # the v2 parts start empty
    assert profile.anchor == 0.0 and profile.embeddings == {} and profile.audio_features.sums.shape == (2, 0)
    assert profile.familiarity.long_weight == 0.0 and profile.release_age.long_weight == 0.0
    view = summary(profile, PARAMS, now=T0 + timedelta(days=2))
    assert view["audio_features"]["long_term"] is None and view["embeddings"] == {}
    assert view["personality"]["familiarity_exploration"]["score"] is None
    assert view["personality"]["loyalty_variety"]["score"] == -1.0  # one artist: read from v1's own table
    # written back as v2, it keeps every v1 value
    again = decode(encode(profile))
    assert encode(again) == encode(profile) and again.genres["jazz"].long == profile.genres["jazz"].long


def test_a_migrated_v1_profile_folds_new_events() -> None:
    profile = decode((GOLDEN / "v1" / "profile.msgpack").read_bytes())
    track = Track(track_id="t1", name="Song", artist_name="Band", duration_ms=200_000, popularity=20.0)
    play = Play(user_id="golden", ts=T0 + timedelta(days=3), track_id="t1", ms_played=200_000)
    apply_event(profile, play, track, PARAMS)
    assert profile.anchor == play.ts.timestamp() and profile.plays == 2
    view = summary(decode(encode(profile)), PARAMS, now=play.ts)["personality"]
    assert view["familiarity_exploration"]["score"] == -1.0  # t1 was already in the v1 track table
    assert view["commonality_uniqueness"]["score"] == pytest.approx(0.6)


def test_the_profiler_upgrades_a_stored_v1_profile_when_it_next_writes_it(platform: Platform) -> None:
    v1 = (GOLDEN / "v1" / "profile.msgpack").read_bytes()
    platform.store.put_profiles({"golden": v1})
    world = Listening(platform, T0 + timedelta(days=5))
    world.track("t2", artist="Band", features=audio_features(energy=0.6), popularity=70.0)
    world.play("golden", "t2")
    world.run()
    stored = platform.store.get_profile("golden")
    assert stored is not None and stored != v1
    profile = decode(stored)
    assert (profile.version, profile.plays, profile.skips, profile.likes) == (3, 2, 1, 1)
    assert set(profile.tracks) == {"t1", "t2"} and profile.skips_by_context["album"] == [0, 1]
    view = summary(profile, PARAMS, now=T0 + timedelta(days=5, minutes=1))
    assert view["audio_features"]["long_term"]["energy"]["mean"] == 0.6
    assert view["personality"]["familiarity_exploration"]["score"] == 0.0  # a new track by a known artist


def test_v2_profile_decodes_and_migrates_to_the_current_version() -> None:
    data = (GOLDEN / "v2" / "profile.msgpack").read_bytes()
    profile = decode(data)
    assert profile.version == FORMAT_VERSION == 3
    assert profile.labels == {}  # the v3 part starts empty
    _assert_v2_values(profile)
    again = decode(encode(profile))
    assert encode(again) == encode(profile)


def test_v3_profile_decodes_and_re_encodes_identically() -> None:
    data = (GOLDEN / "v3" / "profile.msgpack").read_bytes()
    profile = decode(data)
    assert profile.version == 3 == FORMAT_VERSION
    _assert_v2_values(profile)
    # the labels: the play (0.5) and the like (2) fold in x confidence; the skip (-0.5) too
    chill = profile.labels["mood:chill"]
    skip_long, like_long = 2 ** (1 / 180), 2 * 2 ** (2 / 180)
    assert chill.long == pytest.approx(0.8 * (0.5 - 0.5 * skip_long + like_long) * 2 ** (-2 / 180))
    assert set(profile.labels) == {"mood:chill", "activity:focus"}
    view = summary(profile, PARAMS, now=T0 + timedelta(days=2))["top_labels"]
    assert [item["id"] for item in view["mood"]["long_term"]] == ["chill"]
    assert view["activity"]["short_term"][0]["score"] > 0
    assert encode(profile) == data


def _assert_v2_values(profile: TasteProfile) -> None:
    assert (profile.user_id, profile.plays, profile.skips, profile.likes) == ("golden", 1, 1, 1)
    assert profile.applied == {"3": 41} and profile.anchor == T0.timestamp()
    # familiarity: the play was of a new track (0), the skip of a known one (1), a day later
    skip_short, skip_long = 2 ** (1 / 7), 2 ** (1 / 180)
    assert profile.familiarity.short_weight == pytest.approx(1 + skip_short)
    assert profile.familiarity.long == pytest.approx(skip_long)
    # the preferences: the half-completed play (0.5) and the like (2, two days later)
    like_long = 2 * 2 ** (2 / 180)
    assert profile.popularity.long_weight == pytest.approx(0.5 + like_long)
    assert profile.popularity.long == pytest.approx(40.0 * (0.5 + like_long))
    ages = [
        math.log1p((T0 - datetime(2020, 1, 1, tzinfo=UTC)).days / 365.2425 + d / 365.2425) for d in (0, 2)
    ]
    like_short = 2 * 2 ** (2 / 7)
    age = (0.5 * ages[0] + like_short * ages[1]) / (0.5 + like_short)
    assert profile.release_age.short / profile.release_age.short_weight == pytest.approx(age, rel=1e-9)
    features = profile.audio_features
    assert features.sums.shape == (2, ROW_WIDTH) and features.sums[1, 0] == pytest.approx(0.5 + like_long)
    energy = features.sums[:, 3] / features.sums[:, 0]
    assert energy.tolist() == pytest.approx([0.8, 0.8])
    audio, als = profile.embeddings["audio"], profile.embeddings["als"]
    assert (audio.version, audio.dim, als.version, als.dim) == ("similarity-33c4c7e1", 12, "m1", 3)
    mean = vector_mean(audio, long=True)
    assert mean is not None and mean[:2].tolist() == pytest.approx([0.6, 0.8])


def build_v3() -> TasteProfile:
    """The profile in ``v3/profile.msgpack``: v1's three events on a track with every v2 and v3 input."""
    track = Track(
        track_id="t1",
        name="Song",
        artist_name="Band",
        genres=["jazz"],
        duration_ms=200_000,
        release_date="2020-01-01",
        popularity=40.0,
    )
    row = {
        "acousticness": 0.1,
        "danceability": 0.7,
        "energy": 0.8,
        "instrumentalness": 0.0,
        "key": 7,
        "liveness": 0.1,
        "loudness": -6.0,
        "mode": 1,
        "speechiness": 0.05,
        "tempo": 128.0,
        "time_signature": 4,
        "valence": 0.6,
        "duration_ms": 200_000,
        "algorithm_version": "tm-audio-1",
        "vector": [0.6, 0.8] + [0.0] * 10,
    }
    audio = track_audio(row)
    als = [ItemVector("als", "m1", item_row(np.array([0.25, -0.5, 1.0])))]
    profile = TasteProfile(user_id="golden")
    events: list[Event] = [
        Play(user_id="golden", ts=T0, track_id="t1", ms_played=100_000, context="album:x"),
        Skip(user_id="golden", ts=T0 + timedelta(days=1), track_id="t1", ms_played=5_000),
        Like(user_id="golden", ts=T0 + timedelta(days=2), track_id="t1"),
    ]
    labels = (("mood:chill", 0.8), ("activity:focus", 0.5))
    for event in events:
        apply_event(profile, event, track, PARAMS, audio=audio, item_vectors=als, labels=labels)
    profile.applied = {"3": 41}
    profile.updated_at = T0 + timedelta(days=2)
    return profile


if __name__ == "__main__":
    (GOLDEN / "v3").mkdir(exist_ok=True)
    (GOLDEN / "v3" / "profile.msgpack").write_bytes(encode(build_v3()))
