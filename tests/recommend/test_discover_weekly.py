"""Discover Weekly end to end: a simulated world in the real log, `train`, `weekly`, the HTTP API."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tastemaker.cli import cli
from tastemaker.config import Config
from tastemaker.platform import Platform
from tastemaker.recommend import discover_weekly as dw
from tastemaker.recommend.model import Model
from tastemaker.storage.models import Track
from tests.conftest import LiveServer
from tests.recommend.trained_world import trained_world


def invoke(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], obj={}, env={})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Model]:
    return trained_world(tmp_path_factory.mktemp("world"), seed=11)


def test_thirty_new_tracks_at_most_two_per_artist_each_with_a_reason(trained: tuple[Config, Model]) -> None:
    config, model = trained
    with Platform.open(config) as platform:
        user = model.user_ids[0]
        known = dw.known_tracks(platform.store, user)
        playlist = dw.discover_weekly(model, platform.store, user, known=known)
        tracks = platform.store.get_tracks(playlist.track_ids)
    row = model.history[model.user_rows[user]]
    played = {model.item_ids[i] for i in row.indices}
    assert len(playlist.track_ids) == 30 and len(set(playlist.track_ids)) == 30
    assert not played & set(playlist.track_ids) and not known & set(playlist.track_ids)
    artists = Counter(tracks[t].artist_id for t in playlist.track_ids)
    assert max(artists.values()) <= 2
    reasons = playlist.extra["reasons"]
    assert set(reasons) == set(playlist.track_ids) and all(isinstance(r, str) and r for r in reasons.values())
    assert any(r.startswith("Because you played") for r in reasons.values())
    assert playlist.playlist_id == dw.week_id(datetime.now(UTC))


def test_recent_releases_are_favoured() -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    params = dw.WeeklyParams()
    fresh = Track(track_id="a", name="a", release_date="2026-10-01")
    old = Track(track_id="b", name="b", release_date="1999")
    assert dw.recency(fresh, now, params) > 0.8 > dw.recency(old, now, params) >= 0.0
    assert dw.recency(Track(track_id="c", name="c"), now, params) == 0.0
    assert dw.recency(Track(track_id="d", name="d", release_date="not a date"), now, params) == 0.0


@pytest.fixture
def config(trained: tuple[Config, Model]) -> Config:
    """`live_server` serves the trained world's data dir."""
    return trained[0]


def test_weekly_command_then_the_api(trained: tuple[Config, Model], live_server: LiveServer) -> None:
    config, model = trained
    listener = model.user_ids[1]
    with live_server.client(live_server.admin_token) as admin:
        missing = admin.get(f"/v1/users/{listener}/playlists/discover-weekly")
        assert missing.status_code == 404 and "tastemaker weekly" in missing.json()["error"]
        code, out, err = invoke(config.data_dir, "weekly", "--no-progress")
        assert code == 0, err
        assert f"for {len(model.user_ids)} listeners from model v{model.version}" in out
        got = admin.get(f"/v1/users/{listener}/playlists/discover-weekly")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["name"] == "Discover Weekly" and len(body["tracks"]) == 30
    assert all(t["name"] and t["reason"] for t in body["tracks"])
    with live_server.client(live_server.user_token) as alice:
        assert alice.get(f"/v1/users/{listener}/playlists/discover-weekly").status_code == 403
        fresh = alice.post("/v1/users/alice/playlists/discover-weekly")  # a new listener: popular tracks
        assert fresh.status_code == 201, fresh.text
        assert len(fresh.json()["tracks"]) == 30
        assert alice.get("/v1/users/alice/playlists/discover-weekly").json() == fresh.json()
        no_mix = alice.post("/v1/users/alice/playlists/daily-mixes")
        assert no_mix.status_code == 404 and "too little listening" in no_mix.json()["error"]
    with live_server.client(live_server.admin_token) as admin:
        made = admin.post(f"/v1/users/{listener}/playlists/daily-mixes")
        assert made.status_code == 201, made.text
        mixes = made.json()["mixes"]
        assert 1 <= len(mixes) <= 6 and all(m["name"].endswith("Mix") and m["tracks"] for m in mixes)
        assert admin.get(f"/v1/users/{listener}/playlists/daily-mixes").json()["mixes"] == mixes


def test_daily_mixes_cluster_familiar_tracks_with_a_few_new(trained: tuple[Config, Model]) -> None:
    from tastemaker.recommend import daily_mixes as dm

    config, model = trained
    user = max(model.user_ids, key=lambda u: model.history[model.user_rows[u]].nnz)
    row = model.history[model.user_rows[user]]
    played = {model.item_ids[i] for i in row.indices}
    with Platform.open(config) as platform:
        mixes = dm.daily_mixes(model, platform.store, user)
        code, out, err = invoke(config.data_dir, "daily", "--no-progress", "--user", user)
        assert code == 0, err
        assert "for 1 listeners" in out
        stored = dm.latest(platform.store, user)
    assert 1 <= len(mixes) <= 6
    assert [m.track_ids for m in stored] == [m.track_ids for m in mixes]
    for mix in mixes:
        new = set(mix.extra["new"])
        assert new and not new & played and mix.track_ids[0] in played
        assert len(set(mix.track_ids) & played) >= 4 * len(new)
        assert mix.name.endswith("Mix") and mix.description
    everything = [t for m in mixes for t in m.track_ids if t in played]
    assert len(everything) == len(set(everything)), "a familiar track sits in one mix only"


def test_batched_candidates_equal_one_by_one(trained: tuple[Config, Model]) -> None:
    _, model = trained
    users = [*model.user_ids[:5], "nobody-the-model-knows"]
    batched = model.recommend_many(users, 50)
    assert set(batched) == set(model.user_ids[:5])
    for user in model.user_ids[:5]:
        assert [r.item_id for r in batched[user]] == [r.item_id for r in model.recommend(user, 50)]
