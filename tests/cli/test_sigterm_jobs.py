"""SIGTERM in the middle of `tastemaker train`, `weekly` and `wrapped`: run again, the result equals an
uninterrupted run's (same model arrays and ids, same playlists, same recaps).

Each job runs as a real process on a copy of one small simulated world; it is killed part-way through
(at a fraction of how long the uninterrupted run took), then run again to completion.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tastemaker.storage.sqlite_store import SQLiteStore

pytestmark = pytest.mark.slow

TASTEMAKER = [sys.executable, "-m", "tastemaker"]
WORLD = ["--seed", "5", "--users", "30", "--tracks", "300", "--days", "10", "--start", "2025-03-01"]
USERS = [f"user{n:05d}" for n in range(30)]


def tastemaker(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*TASTEMAKER, "--data-dir", str(data), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("sigterm") / "world"
    tastemaker(data, "simulate", *WORLD, "--to", "log", "--no-progress")
    tastemaker(data, "worker", "all", "--once")
    return data


def interrupted(data: Path, args: list[str], seconds: float) -> None:
    """Start the job and SIGTERM it part-way through; it must die of the signal, not finish first."""
    for fraction in (0.6, 0.4, 0.25, 0.1):
        copy = data.with_name(data.name + "-try")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(data, copy)
        process = subprocess.Popen([*TASTEMAKER, "--data-dir", str(copy), *args], stderr=subprocess.PIPE)
        time.sleep(seconds * fraction)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)
            assert process.returncode != 0
            shutil.rmtree(data)
            copy.rename(data)
            return
        process.communicate()
    pytest.fail(f"{args[0]} always finished before the SIGTERM")


def compare(world: Path, tmp_path: Path, args: list[str], result: Callable[[Path], Any]) -> None:
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    shutil.copytree(world, whole)
    shutil.copytree(world, cut)
    started = time.monotonic()
    tastemaker(whole, *args)
    interrupted(cut, args, time.monotonic() - started)
    tastemaker(cut, *args)
    assert result(cut) == result(whole)


def model(data: Path) -> dict[str, Any]:
    current = data / "models" / f"v{int((data / 'models' / 'CURRENT').read_text()):06d}"
    manifest = json.loads((current / "manifest.json").read_text())
    arrays: dict[str, bytes] = {}
    for name in ("arrays.npz", "history.npz", "similarity.npz"):
        with np.load(current / name) as stored:
            arrays |= {f"{name}/{key}": np.round(stored[key], 4).tobytes() for key in stored.files}
    return {"ids": (current / "ids.json").read_bytes(), "counts": manifest["counts"], "arrays": arrays}


def stored(data: Path, read: Callable[[SQLiteStore, str], Any]) -> dict[str, Any]:
    store = SQLiteStore.from_url(f"sqlite:///{data}/store.db")
    try:
        return {user: read(store, user) for user in USERS}
    finally:
        store.close()


def test_train_resumes_cleanly(world: Path, tmp_path: Path) -> None:
    compare(world, tmp_path, ["train", "--no-progress", "--no-audio"], model)


def test_weekly_resumes_cleanly(world: Path, tmp_path: Path) -> None:
    tastemaker(world, "train", "--no-progress", "--no-audio")

    def playlists(data: Path) -> dict[str, Any]:
        found = stored(
            data, lambda store, user: [p.track_ids for p in store.get_playlists(user, "discover-weekly")]
        )
        assert sum(1 for lists in found.values() if lists) >= 20  # the job really made them
        return found

    compare(world, tmp_path, ["weekly", "--no-progress"], playlists)


def test_wrapped_resumes_cleanly(world: Path, tmp_path: Path) -> None:
    def recaps(data: Path) -> dict[str, Any]:
        found = stored(data, lambda store, user: store.get_recap(user, 2025))
        assert sum(1 for recap in found.values() if recap) >= 20
        return {user: json.loads(recap) if recap else None for user, recap in found.items()}

    compare(world, tmp_path, ["wrapped", "2025", "--no-progress"], recaps)
