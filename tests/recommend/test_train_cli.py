"""`tastemaker train` on a small simulated world in a real data dir, and its error without events."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from tastemaker.cli import cli
from tastemaker.config import Config
from tastemaker.platform import Platform
from tastemaker.recommend.model_files import LiveModel, load_current, models_dir, versions
from tastemaker.simulate import run_simulation
from tastemaker.simulate.log_sink import LogSink


def _train(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "train", "--no-progress", *args], obj={}, env={}
    )
    return result.exit_code, result.stdout, result.stderr


def _simulate(config: Config, *, days: int) -> int:
    with Platform.open(config) as platform:
        return run_simulation(
            seed=5, users=25, tracks=300, days=days, start=date(2025, 3, 1),
            sink=LogSink(platform.event_log), progress=False,
        )  # fmt: skip


def test_train_builds_a_new_version_from_the_simulated_log(config: Config) -> None:
    events = _simulate(config, days=2)
    code, out, err = _train(config.data_dir, "--json", "--factors", "8", "--keep", "2")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["version"] == 1 and 10 < summary["users"] <= 25 and 0 < summary["events"] < events
    assert (
        summary["tracks"] <= 300 and summary["sessions"] > summary["users"] and summary["audio_vectors"] == 0
    )
    root = models_dir(config.data_dir)
    model = load_current(root)
    assert model.manifest["train"]["als"]["factors"] == 8 and model.factors.items.shape[1] == 8
    user = model.user_ids[0]
    row = model.history[model.user_rows[user]]
    heard = {model.item_ids[i] for i in row.indices}
    recommended = model.recommend(user, 10)
    assert len(recommended) == 10 and not heard & {r.item_id for r in recommended}

    live = LiveModel(root, check_interval_s=0.0)
    first = live.get()
    assert first is not None and first.version == 1
    _simulate(config, days=3)  # more listening: the same first two days (ids repeat) and a third
    code, out, err = _train(config.data_dir, "--cooccurrence", "user", "--factors", "8", "--keep", "2")
    assert code == 0, err
    assert out.startswith(f"model v2 in {root}") and re.search(r"co-occurrence over \d+ users", out)
    second = live.get()
    assert second is not None and second.version == 2 and second.manifest["events"] > model.manifest["events"]
    _train(config.data_dir, "--factors", "8", "--keep", "2")
    assert versions(root) == [2, 3]


def test_train_without_events_says_what_to_do(tmp_path: Path) -> None:
    code, out, err = _train(tmp_path / "empty")
    assert code == 1 and out == ""
    assert "no listening events yet: run `tastemaker simulate --to log` or `tastemaker import`" in err
    assert not models_dir(tmp_path / "empty").exists() or not versions(models_dir(tmp_path / "empty"))


def test_train_indexes_the_audio_vectors_the_store_has(config: Config) -> None:
    _simulate(config, days=1)
    code, _, err = _train(config.data_dir, "--factors", "8")
    assert code == 0, err
    tracks = load_current(models_dir(config.data_dir)).item_ids[:5]
    with Platform.open(config) as platform:
        for n, track_id in enumerate(tracks):
            platform.store.put_features(track_id, {"tempo": 100.0 + n, "vector": [float(n + 1)] * 12})
    code, out, err = _train(config.data_dir, "--json", "--factors", "8")
    assert code == 0, err
    assert json.loads(out)["audio_vectors"] == len(tracks) == 5
