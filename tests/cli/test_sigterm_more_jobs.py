"""SIGTERM in the middle of `tastemaker daily`, `annotate`, `scan DIR` and `migrate backfill`: run again,
the result equals an uninterrupted run's (daily mixes, annotations), every file is analysed once with
no half-written row (scan), and `migrate verify` finds full parity (backfill).

The world and helpers are test_sigterm_jobs.py's. daily and annotate are killed at a fraction of an
uninterrupted run's time, like train/weekly/wrapped; scan and backfill are killed once their own
checkpoints show progress (files marked done, a backfill cursor), so the signal always lands mid-job.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tastemaker.recommend.model_files import load_current, models_dir
from tastemaker.storage.rows import TABLES
from tastemaker.storage.sqlite_store import SQLiteStore
from tests.catalog.test_scan_resume import done_files, session_members, write_files
from tests.cli.test_sigterm_jobs import TASTEMAKER, WORLD, compare, stored, tastemaker

pytestmark = pytest.mark.slow

SCAN_FILES = 12


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test_sigterm_jobs.py's world, trained once."""
    data = tmp_path_factory.mktemp("sigterm-more") / "world"
    tastemaker(data, "simulate", *WORLD, "--to", "log", "--no-progress")
    tastemaker(data, "worker", "all", "--once")
    tastemaker(data, "train", "--no-progress", "--no-audio")
    return data


def test_daily_resumes_cleanly(trained: Path, tmp_path: Path) -> None:
    def mixes(data: Path) -> dict[str, Any]:
        found = stored(
            data,
            lambda store, user: [(p.name, p.track_ids) for p in store.get_playlists(user, "daily-mix")],
        )
        assert sum(1 for lists in found.values() if lists) >= 20  # the job really made them
        return found

    compare(trained, tmp_path, ["daily", "--no-progress"], mixes)


def test_annotate_resumes_cleanly(trained: Path, tmp_path: Path) -> None:
    def annotations(data: Path) -> dict[str, Any]:
        track_ids = load_current(models_dir(data)).item_ids
        store = SQLiteStore.from_url(f"sqlite:///{data}/store.db")
        try:
            found = {t: (store.get_labels(t) or {}).get("annotations") for t in track_ids}
        finally:
            store.close()
        assert sum(1 for labels in found.values() if labels) >= len(track_ids) // 2
        return found

    compare(trained, tmp_path, ["annotate", "--no-progress"], annotations)


def sigterm_when(command: list[str], ready: Callable[[], bool], *, within_s: float = 60) -> None:
    """Run ``command``, SIGTERM it as soon as ``ready()``; it must die of the signal, its children too."""
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + within_s
        while not ready():
            assert process.poll() is None, "the job ended before it could be interrupted"
            assert time.monotonic() < deadline, "the job made no progress"
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == -signal.SIGTERM
        while session_members(process.pid):  # scan's workers and fork server follow it out
            assert time.monotonic() < deadline + 10, f"left behind: {session_members(process.pid)}"
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def scan_rows(store_db: Path, paths: list[Path]) -> list[tuple[str, str, str | None, str | None, bool]]:
    """Per file marked done: path, track, algorithm version, error, and whether its track has features."""
    store = SQLiteStore.from_url(f"sqlite:///{store_db}")
    try:
        rows = [row for p in paths if (row := store.get_library_file(str(p))) is not None]
        return [
            (r.path, r.track_id, r.algorithm_version, r.error, bool(store.get_features(r.track_id)))
            for r in rows
        ]
    finally:
        store.close()


def test_scan_resumes_cleanly(tmp_path: Path) -> None:
    library, data = tmp_path / "library", tmp_path / "data"
    paths = write_files(library, SCAN_FILES)
    scan = [*TASTEMAKER, "--data-dir", str(data), "scan", str(library),
            "--jobs", "1", "--no-progress", "--json"]  # fmt: skip
    sigterm_when(scan, lambda: done_files(data / "store.db") >= 3)
    marked = done_files(data / "store.db")
    assert 3 <= marked < SCAN_FILES
    rows = scan_rows(data / "store.db", paths)
    assert len(rows) == marked
    assert all(version is not None and error is None and has for _, _, version, error, has in rows), rows

    rerun = subprocess.run(scan, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert (report["seen"], report["unchanged"], report["failed"]) == (SCAN_FILES, marked, 0)
    assert report["analysed"] == SCAN_FILES - marked  # every file analysed once across the two runs
    rows = scan_rows(data / "store.db", paths)
    assert sorted(path for path, *_ in rows) == sorted(str(p) for p in paths)
    assert all(version is not None and error is None and has for _, _, version, error, has in rows), rows


def test_migrate_backfill_resumes_cleanly(trained: Path, tmp_path: Path) -> None:
    data = tmp_path / "world"
    shutil.copytree(trained, data)
    tastemaker(data, "migrate", "start", "--to", f"sqlite:///{tmp_path}/new/store.db")
    state = data / "migration.json"

    def checkpointed() -> bool:
        with contextlib.suppress(OSError, ValueError):
            return json.loads(state.read_text())["cursors"].get("listens") is not None  # mid-listens
        return False

    backfill = [*TASTEMAKER, "--data-dir", str(data), "migrate", "backfill", "--no-progress"]
    sigterm_when([*backfill, "--batch", "100", "--max-rows-per-s", "1500"], checkpointed)
    cut = json.loads(state.read_text())
    assert set(cut["done_tables"]) < set(TABLES), "the backfill finished before the SIGTERM"

    done = subprocess.run(backfill, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    finished = json.loads(state.read_text())
    assert sorted(finished["done_tables"]) == sorted(TABLES)
    report = json.loads(tastemaker(data, "migrate", "verify", "--json", "--no-progress").stdout)
    assert report["listens"]["rows"] > 1000  # the world's history really was copied
    assert {table: parity["differing"] for table, parity in report.items()} == dict.fromkeys(report, 0)
