"""The DJ: transition costs on hand-made features, sessions over a simulated world, skips over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tastemaker.accounts import create_user
from tastemaker.api.app import create_app
from tastemaker.config import Config
from tastemaker.platform import Platform
from tastemaker.recommend import dj
from tastemaker.recommend.dj_segments import Reaction, Said, segment
from tastemaker.recommend.dj_session import Feedback, Sessions
from tastemaker.recommend.dj_transitions import Sound, camelot, key_cost, tempo_cost, transition_cost
from tastemaker.recommend.model import Model
from tests.conftest import LiveServer
from tests.conftest import serving as serve_app
from tests.recommend.trained_world import trained_world


def features_row(*, tempo: float, key: int, mode: int, energy: float) -> dict[str, Any]:
    return {
        "acousticness": 0.2, "danceability": 0.6, "energy": energy, "instrumentalness": 0.0, "key": key,
        "liveness": 0.1, "loudness": -8.0, "mode": mode, "speechiness": 0.05, "tempo": tempo,
        "time_signature": 4, "valence": 0.5, "duration_ms": 200_000,
    }  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Model]:
    """A simulated world in the real log, drained, trained; two tracks in three have audio features."""
    config, model = trained_world(tmp_path_factory.mktemp("dj-world"), seed=7)
    with Platform.open(config) as platform:
        rng = np.random.default_rng(7)
        for column, track_id in enumerate(model.item_ids):
            if column % 3:
                platform.store.put_features(
                    track_id,
                    features_row(
                        tempo=float(rng.uniform(70, 170)), key=int(rng.integers(12)),
                        mode=int(rng.integers(2)), energy=float(rng.uniform(0.05, 0.95)),
                    ),
                )  # fmt: skip
    return config, model


@pytest.fixture
def config(trained: tuple[Config, Model]) -> Config:
    """`live_server` serves the trained world's data dir."""
    return trained[0]


def heaviest(model: Model) -> str:
    return max(model.user_ids, key=lambda u: model.history[model.user_rows[u]].nnz)


# -- transitions and ordering ------------------------------------------------------------------------


def test_camelot_wheel_and_harmonic_neighbours() -> None:
    c_major, g_major, a_minor = Sound(120, 0, 1, 0.5), Sound(120, 7, 1, 0.5), Sound(120, 9, 0, 0.5)
    f_sharp_major = Sound(120, 6, 1, 0.5)
    assert camelot(key=0, mode=1) == (8, "B") and camelot(key=9, mode=0) == (8, "A")
    assert camelot(key=-1, mode=1) is None
    assert key_cost(c_major, c_major) == 0.0
    assert key_cost(c_major, g_major) == key_cost(c_major, a_minor) == 0.2  # fifth / relative minor
    assert key_cost(c_major, f_sharp_major) == 1.0  # the tritone: opposite side of the wheel
    assert key_cost(c_major, Sound(120, -1, 1, 0.5)) == 0.5


def test_transition_cost_rewards_close_tempo_compatible_key_and_smooth_energy() -> None:
    here = Sound(tempo=120, key=0, mode=1, energy=0.5)
    assert tempo_cost(120, 122) < tempo_cost(120, 130) < tempo_cost(120, 150) == 1.0
    assert tempo_cost(120, 60) == 0.0 and tempo_cost(120, 241) < 0.05  # half and double time
    smooth = Sound(tempo=123, key=7, mode=1, energy=0.55)
    jolt = Sound(tempo=150, key=6, mode=1, energy=0.95)
    assert transition_cost(here, smooth) < 0.2 < 0.9 < transition_cost(here, jolt)
    # energy: a set heading up prefers a small rise to staying flat
    up, flat = Sound(120, 0, 1, 0.6), Sound(120, 0, 1, 0.5)
    assert transition_cost(here, up, energy_step=0.1) < transition_cost(here, flat, energy_step=0.1)
    # no features: ALS vectors decide; nothing at all: neutral
    a, b, c = (np.array(v, dtype=np.float32) for v in ([1, 0], [0.9, 0.1], [-1, 0]))
    assert transition_cost(None, here, a, b) < transition_cost(None, here, a, c) == 1.0
    assert transition_cost(None, None) == 0.5


def test_sequence_follows_the_smoothest_path(trained: tuple[Config, Model]) -> None:
    _, model = trained
    previous = dj.Candidate("prev", "familiar", 1.0, None, Sound(120, 0, 1, 0.5))
    made = {
        "far": Sound(150, 6, 0, 0.95),
        "near": Sound(122, 7, 1, 0.55),
        "half": Sound(61, 0, 1, 0.5),  # half time, same key, same energy: the best next
    }
    candidates = [dj.Candidate(name, "familiar", 0.9, None, sound) for name, sound in made.items()]
    picked = dj.sequence(model, candidates, previous=previous, count=3, served={})
    assert [c.track_id for c in picked] == ["half", "near", "far"]


def test_segments_say_what_the_batch_is() -> None:
    familiar = [
        Said("familiar", "Alpha", 100.0),
        Said("familiar", "Beta", 101.0),
        Said("familiar", "Alpha", None),
    ]
    assert segment(familiar).startswith("Back to the artists you keep coming back to: Alpha and Beta")
    faster = [Said("discovery", "A", 100.0), Said("discovery", "B", 125.0)]
    assert segment(faster) == "Something new in the same vein… Picking up the pace."
    assert segment(faster, reactions=[Reaction("skip", "Song", "Gamma")]).startswith(
        "Switching it up — moving away from Gamma."
    )
    assert "workout" in segment([Said("popular", None, None)], context="workout")


# -- sessions over the trained world -----------------------------------------------------------------


def test_an_endless_session_never_repeats_and_mixes_familiar_with_new(trained: tuple[Config, Model]) -> None:
    config, model = trained
    user = heaviest(model)
    history = model.history[model.user_rows[user]]
    played = {model.item_ids[i] for i in history.indices[history.data > 0]}
    session = Sessions().get(user)
    with Platform.open(config) as platform:
        batches = [dj.next_batch(model, platform.store, session, count=20) for _ in range(6)]
    ids = [p.track_id for b in batches for p in b.picks]
    assert len(ids) == 120 and len(set(ids)) == 120
    first = batches[0].picks
    assert {p.kind for p in first} == {"familiar", "discovery"}
    assert all((p.track_id in played) == (p.kind == "familiar") for p in first)
    assert 10 <= sum(p.kind == "familiar" for p in first) <= 16
    assert batches[0].segment and all(batches[0].reasons)


def test_cold_listeners_get_popular_tracks_shaped_by_context(trained: tuple[Config, Model]) -> None:
    config, model = trained
    sessions = Sessions()
    popular = {r.item_id for r in model.popular(60)}
    energies = {}
    with Platform.open(config) as platform:
        for context in ("workout", "chill"):
            batch = dj.next_batch(
                model, platform.store, sessions.get(f"new-{context}"), count=10, context=context
            )
            assert {p.kind for p in batch.picks} == {"popular"}
            assert {p.track_id for p in batch.picks} <= popular
            assert f"A {context} set" in batch.segment
            energies[context] = np.mean([p.sound.energy for p in batch.picks if p.sound is not None])
        plain = dj.next_batch(model, platform.store, sessions.get("new-plain"), count=10)
    assert energies["workout"] > 0.6 > 0.4 > energies["chill"]
    assert plain.segment.startswith("Starting with what's popular")


def test_a_cold_listeners_like_turns_popular_into_personal(trained: tuple[Config, Model]) -> None:
    config, model = trained
    sessions = Sessions()
    with Platform.open(config) as platform:
        first = dj.next_batch(model, platform.store, sessions.get("newcomer"), count=5)
        liked = first.picks[0]
        assert liked.track is not None
        feedback = [Feedback(liked.track_id, "like")]
        after = dj.next_batch(model, platform.store, sessions.get("newcomer"), count=5, feedback=feedback)
    assert after.segment.startswith(f"Glad you liked “{liked.track.name}”")
    assert {p.kind for p in after.picks} == {"discovery"}
    assert f"Because you liked “{liked.track.name}”" in after.reasons


def test_feedback_in_the_body_steers_at_once(trained: tuple[Config, Model]) -> None:
    config, model = trained
    user = heaviest(model)
    sessions = Sessions()
    with Platform.open(config) as platform:
        store = platform.store
        first = dj.next_batch(model, store, sessions.get(user), count=5)
        liked = first.picks[0]
        after_like = dj.next_batch(
            model, store, sessions.get(user), count=5, feedback=[Feedback(liked.track_id, "like")]
        )
        assert after_like.segment.startswith("Glad you liked")
        skipped = after_like.picks[0]
        after_skip = dj.next_batch(
            model, store, sessions.get(user), count=10, feedback=[Feedback(skipped.track_id, "skip")]
        )
    assert after_skip.segment.startswith("Switching it up")
    assert skipped.artist is not None and all(p.artist != skipped.artist for p in after_skip.picks)


# -- HTTP --------------------------------------------------------------------------------------------


def test_a_skip_event_changes_what_comes_next(trained: tuple[Config, Model], live_server: LiveServer) -> None:
    _, model = trained
    user = heaviest(model)
    url = f"/v1/users/{user}/dj/next"
    with live_server.client(live_server.admin_token) as admin:
        one = admin.post(url, json={"count": 5, "restart": True})
        other = admin.post(url, json={"count": 5, "restart": True})
        assert one.status_code == other.status_code == 200, one.text
        first = one.json()
        assert first["session_id"] != other.json()["session_id"]
        assert first["tracks"] == other.json()["tracks"], "the same state gives the same batch"
        assert all(t["track_id"] and t["name"] and t["artist_name"] and t["reason"] for t in first["tracks"])
        baseline = admin.post(url, json={"count": 5, "session_id": other.json()["session_id"]}).json()
        skipped = first["tracks"][0]
        now = datetime.now(UTC).isoformat()
        event = {
            "type": "skip",
            "user_id": user,
            "track_id": skipped["track_id"],
            "ms_played": 4000,
            "ts": now,
        }
        assert admin.post("/v1/events", json={"events": [event]}).status_code == 202
        deadline = time.monotonic() + 10
        while not any(
            listen["kind"] == "skip" and listen["track_id"] == skipped["track_id"]
            for listen in admin.get(f"/v1/users/{user}/listens", params={"count": 5}).json()["listens"]
        ):
            assert time.monotonic() < deadline, "the archiver did not store the skip within 10 s"
            time.sleep(0.05)
        after = admin.post(url, json={"count": 5, "session_id": first["session_id"]}).json()
    assert after["session_id"] == first["session_id"]
    assert after["segment"].startswith(f"Switching it up — moving away from {skipped['artist_name']}")
    assert [t["track_id"] for t in after["tracks"]] != [t["track_id"] for t in baseline["tracks"]]
    assert all(t["artist_name"] != skipped["artist_name"] for t in after["tracks"])
    served = {t["track_id"] for t in first["tracks"]}
    assert not served & {t["track_id"] for t in after["tracks"]}


def test_dj_auth_and_validation(trained: tuple[Config, Model]) -> None:
    with serving(trained[0]) as live_server, live_server.client(live_server.user_token) as alice:
        own = alice.post("/v1/users/alice/dj/next", json={"count": 3, "context": "workout"})
        assert own.status_code == 200, own.text
        assert len(own.json()["tracks"]) == 3 and own.json()["segment"]
        again = alice.post("/v1/users/alice/dj/next")  # no body: 5 more of the latest session
        assert again.status_code == 200 and len(again.json()["tracks"]) == 5
        assert again.json()["session_id"] == own.json()["session_id"]
        assert not {t["track_id"] for t in own.json()["tracks"]} & {
            t["track_id"] for t in again.json()["tracks"]
        }
        forbidden = alice.post("/v1/users/bob/dj/next", json={})
        assert forbidden.status_code == 403 and forbidden.json()["ok"] is False
        too_many = alice.post("/v1/users/alice/dj/next", json={"count": 21})
        assert too_many.status_code == 400 and too_many.json()["errors"][0]["loc"] == ["body", "count"]
        bad = alice.post("/v1/users/alice/dj/next", json={"feedback": [{"track_id": "t", "type": "meh"}]})
        assert bad.status_code == 400 and bad.json()["errors"][0]["loc"] == ["body", "feedback", 0, "type"]
        with live_server.client() as anonymous:
            assert anonymous.post("/v1/users/alice/dj/next", json={}).status_code == 401


@contextmanager
def serving(config: Config) -> Iterator[LiveServer]:
    """The app over ``config``'s data dir on a free loopback port, without consumers (the module's
    ``live_server`` can run once per data dir, as it creates its users)."""
    with Platform.open(config) as platform:
        admin = create_user(platform.store, "root", admin=True, rotate=True)
        user = create_user(platform.store, "alice", admin=False, rotate=True)
        with serve_app(create_app(platform, run_consumers=False)) as url:
            yield LiveServer(url=url, platform=platform, admin_token=admin, user_token=user)


def test_no_trained_model_is_503(tmp_path: Path) -> None:
    config = Config.load({"data_dir": str(tmp_path / "data"), "log_synchronous": "NORMAL"}, env={})
    with serving(config) as server, server.client(server.admin_token) as admin:
        got = admin.post("/v1/users/alice/dj/next", json={})
    assert got.status_code == 503 and "tastemaker train" in got.json()["error"]


def test_forgetting_a_listener_drops_their_sessions() -> None:
    sessions = Sessions()
    first = sessions.get("gone", "a")
    sessions.get("gone", "b")
    kept = sessions.get("stays")
    assert sessions.forget("gone") == 2
    assert sessions.forget("gone") == 0
    assert sessions.get("gone", "a") is not first  # a new session, not the forgotten one
    assert sessions.get("stays") is kept
