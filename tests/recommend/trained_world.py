"""A small simulated world in a real data dir: events in the real log, consumers drained, `train` run.

Shared by the Discover Weekly, DJ and seeded-recommendation tests, which each add what they need
(audio features, users) on top.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from tastemaker.cli import cli
from tastemaker.config import Config
from tastemaker.platform import Platform
from tastemaker.recommend.model import Model
from tastemaker.recommend.model_files import load_current, models_dir
from tastemaker.simulate import run_simulation
from tastemaker.simulate.log_sink import LogSink


def trained_world(data_dir: Path, *, seed: int, users: int = 40, tracks: int = 600) -> tuple[Config, Model]:
    config = Config.load({"data_dir": str(data_dir), "log_synchronous": "NORMAL"}, env={})
    with Platform.open(config) as platform:
        run_simulation(
            seed=seed, users=users, tracks=tracks, days=4, start=date(2025, 3, 1),
            sink=LogSink(platform.event_log), progress=False,
        )  # fmt: skip
        platform.drain()  # the archiver fills the catalog, the profiler the profiles
    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "train", "--no-progress", "--factors", "16"], obj={}, env={}
    )
    assert result.exit_code == 0, result.stderr
    return config, load_current(models_dir(data_dir))
