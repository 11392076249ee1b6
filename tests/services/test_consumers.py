"""Archiver and profiler: idempotent sinks, so a batch delivered twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tastemaker.events.identity import track_id_for
from tastemaker.events.schema import Like, Play, PlaylistAdd, PlaylistCreate, Skip, TrackAdded, Unlike
from tastemaker.platform import Platform
from tastemaker.profiles.profile import decode

T0 = datetime(2025, 5, 1, tzinfo=UTC)


def events() -> list[object]:
    return [
        TrackAdded(
            user_id="catalog",
            ts=T0,
            event_id="c1",
            track_id="t1",
            track_name="One",
            artist_name="Band",
            genres=["jazz"],
            album_name="LP",
            release_date="2020-01-01",
            duration_ms=200_000,
        ),
        Play(user_id="u1", ts=T0 + timedelta(minutes=1), event_id="e1", track_id="t1", ms_played=200_000),
        Play(
            user_id="u1",
            ts=T0 + timedelta(minutes=5),
            event_id="e2",
            track_id=track_id_for(artist_name="Other", track_name="Two"),
            track_name="Two",
            artist_name="Other",
            ms_played=60_000,
        ),
        Skip(user_id="u1", ts=T0 + timedelta(minutes=6), event_id="e3", track_id="t1", ms_played=3_000),
        Like(user_id="u1", ts=T0 + timedelta(minutes=7), event_id="e4", track_id="t1"),
        PlaylistCreate(
            user_id="u1", ts=T0 + timedelta(minutes=8), event_id="e5", playlist_id="p1", name="Mine"
        ),
        PlaylistAdd(
            user_id="u1", ts=T0 + timedelta(minutes=9), event_id="e6", playlist_id="p1", track_id="t1"
        ),
    ]


def deliver_twice(platform: Platform) -> None:
    platform.event_log.append(events())  # type: ignore[arg-type]
    archiver, profiler = (platform.runner(name).consumer for name in ("archiver", "profiler"))
    batch = platform.event_log.poll("test", 100)
    for _ in range(2):  # the second delivery is what a crash between flush and commit causes
        archiver.handle(batch.records)
        profiler.handle(batch.records)


def test_redelivered_batch_is_applied_once(platform: Platform) -> None:
    deliver_twice(platform)
    store = platform.store
    days = store.listen_days("u1")
    assert days == [(T0.date(), 3)]
    listens = store.listens("u1", T0.date())
    assert [item.event_id for item in listens] == ["e3", "e2", "e1"]
    assert listens[2].track_name == "One"  # names filled from the catalog for a track_id-only play
    profile = decode(store.get_profile("u1") or b"")
    assert (profile.plays, profile.skips, profile.likes) == (2, 1, 1)
    assert profile.genres.keys() == {"jazz"}
    assert [p.track_ids for p in store.get_playlists("u1", "user")] == [["t1"]]
    assert [p.track_ids for p in store.get_playlists("u1", "liked")] == [["t1"]]


def test_catalog_grows_from_names_and_track_added(platform: Platform) -> None:
    deliver_twice(platform)
    store = platform.store
    created = store.listens("u1", T0.date())[1]
    track = store.get_track(created.track_id)
    assert track is not None and (track.name, track.artist_name) == ("Two", "Other")
    full = store.get_track("t1")
    assert full is not None and full.genres == ["jazz"] and full.album_name == "LP"
    assert full.artist_id is not None and store.get_artist(full.artist_id) is not None
    assert full.album_id is not None and store.get_album(full.album_id) is not None


def test_unlike_removes_from_liked(platform: Platform) -> None:
    deliver_twice(platform)
    platform.event_log.append(
        [Unlike(user_id="u1", ts=T0 + timedelta(hours=1), event_id="e9", track_id="t1")]
    )
    platform.drain()
    assert [p.track_ids for p in platform.store.get_playlists("u1", "liked")] == [[]]


def test_runner_commits_after_handling(platform: Platform) -> None:
    platform.event_log.append(events())  # type: ignore[arg-type]
    runner = platform.runner("profiler")
    assert runner.drain() == 7
    assert platform.event_log.lag("profiler") == 0
    assert runner.run_once() == 0
    assert platform.event_log.committed("profiler") == platform.event_log.end_offsets()
