"""Crash-and-resume for library scans, with real processes: ``kill -9`` of the scan, and of a worker."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tastemaker.catalog.scan_pool import Job, analyse
from tests.audio_files import write_music

pytestmark = pytest.mark.crash

FILES = 20


def write_files(root: Path, count: int) -> list[Path]:
    paths = [
        root / f"Artist {i % 3}" / "Album" / f"{i:02d} Song {i}.{('ogg', 'flac')[i % 2]}"
        for i in range(count)
    ]
    for i, path in enumerate(paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_music(path, 4.0, bpm=80 + 3 * i, tonic=i % 12, seed=i)
    return paths


def done_files(store_db: Path) -> int:
    """Files the scan has marked done, read the way another process would (0 before the table exists)."""
    if not store_db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{store_db}?mode=ro", uri=True, timeout=5)) as conn:
            (count,) = conn.execute("SELECT count(*) FROM library_files").fetchone()
            return int(count)
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def scan_command(data: Path, library: Path) -> list[str]:
    return [sys.executable, "-m", "tastemaker", "--data-dir", str(data), "scan", str(library),
            "--jobs", "1", "--no-progress", "--json"]  # fmt: skip


def test_kill_9_mid_scan_loses_only_the_files_in_flight(tmp_path: Path) -> None:
    library, data = tmp_path / "library", tmp_path / "data"
    write_files(library, FILES)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASTEMAKER_")}
    env["TASTEMAKER_CONFIG"] = str(tmp_path / "none.toml")
    proc = subprocess.Popen(scan_command(data, library), env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while done_files(data / "store.db") < 3:
            assert proc.poll() is None, "the scan ended before it could be killed"
            assert time.monotonic() < deadline, "the scan made no progress"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # the scan's own process, as `kill -9 PID` does
        proc.wait(10)
        while session_members(proc.pid):  # its workers and fork server follow it out
            assert time.monotonic() < deadline + 10, f"left behind: {session_members(proc.pid)}"
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the fork server and workers it leaves behind
    marked = done_files(data / "store.db")
    assert 3 <= marked < FILES

    rerun = subprocess.run(scan_command(data, library), env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert (report["seen"], report["unchanged"], report["failed"]) == (FILES, marked, 0)
    assert report["analysed"] == FILES - marked  # every file analysed once across the two runs
    assert done_files(data / "store.db") == FILES


def proc_stat(pid_dir: Path) -> list[str]:
    """Fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, …"""
    text = (pid_dir / "stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def session_members(session: int) -> list[int]:
    found = []
    for pid_dir in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            fields = proc_stat(pid_dir)
            if int(fields[3]) == session and fields[0] != "Z":
                found.append(int(pid_dir.name))
    return found


def pool_workers() -> list[int]:
    """Our grandchildren: the workers, forked by the fork server (a child, beside the resource tracker)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            parents[int(stat.parent.name)] = int(proc_stat(stat.parent)[1])
    children = {pid for pid, parent in parents.items() if parent == os.getpid()}
    return sorted(pid for pid, parent in parents.items() if parent in children)


def test_a_worker_killed_mid_batch_is_survived_and_its_files_retried(tmp_path: Path) -> None:
    paths = write_files(tmp_path, 8)
    jobs = [Job(path=str(p), key=str(p), track_id=f"t{i}", size=1, mtime_ns=1) for i, p in enumerate(paths)]
    outcomes: dict[str, object] = {}
    workers_seen: set[int] = set()
    for job, outcome in analyse(jobs, workers=2, with_analysis=False, max_duration_s=60):
        workers_seen.update(pool_workers())
        if not outcomes:  # the first result is in, others are in flight: kill a worker
            os.kill(min(workers_seen), signal.SIGKILL)
        outcomes[job.key] = outcome
    assert len(workers_seen) > 2, "the pool was not replaced after its worker died"
    assert sorted(outcomes) == sorted(str(p) for p in paths)
    assert all(not isinstance(outcome, tuple) for outcome in outcomes.values()), outcomes
