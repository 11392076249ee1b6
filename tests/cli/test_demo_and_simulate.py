"""`tastemaker simulate` and `tastemaker demo`, run as a user runs them (real processes, real HTTP)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

TASTEMAKER = [sys.executable, "-m", "tastemaker"]
SMALL = ["--seed", "3", "--users", "20", "--tracks", "200", "--days", "2", "--start", "2025-03-01"]


def test_simulate_is_deterministic_and_loads_into_the_log(tmp_path: Path) -> None:
    outputs = []
    for run in range(2):
        target = tmp_path / f"run{run}.ndjson"
        subprocess.run(
            [*TASTEMAKER, "simulate", *SMALL, "--to", "ndjson", str(target), "--no-progress"],
            check=True,
            capture_output=True,
        )
        outputs.append(hashlib.sha256(target.read_bytes()).hexdigest())
    assert outputs[0] == outputs[1]
    data = str(tmp_path / "data")
    for _ in range(2):  # loading twice adds nothing
        done = subprocess.run(
            [*TASTEMAKER, "--data-dir", data, "simulate", *SMALL, "--to", "log", "--no-progress"],
            check=True,
            capture_output=True,
            text=True,
        )
        assert "simulated" in done.stderr
    lines = (tmp_path / "run0.ndjson").read_text().count("\n")
    drained = subprocess.run(
        [*TASTEMAKER, "--data-dir", data, "worker", "profiler", "--once"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert f"handled {lines} events" in drained.stderr


def test_simulate_rejects_a_bad_target(tmp_path: Path) -> None:
    result = subprocess.run([*TASTEMAKER, "simulate", "--to", "ftp://x"], capture_output=True, text=True)
    assert result.returncode == 1 and "expected ndjson, parquet" in result.stderr


def test_demo_serves_a_loaded_world(tmp_path: Path) -> None:
    port = free_port()
    command = [
        *TASTEMAKER,
        "--data-dir",
        str(tmp_path),
        "demo",
        "--port",
        str(port),
        "--users",
        "30",
        "--tracks",
        "300",
        "--days",
        "2",
    ]
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "COLUMNS": "80"}
    )
    try:
        deadline = time.monotonic() + 120
        while "ready in" not in (tmp_path / "demo.log").read_text():
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "demo.log").read_text()
            time.sleep(0.2)
        token = (tmp_path / "demo-admin-token").read_text().strip()
        assert f"export TOKEN={token}" in (tmp_path / "demo.log").read_text()
        headers = {"Authorization": f"Token {token}"}
        text = (tmp_path / "demo.log").read_text()
        profile_url = next(word for word in text.split() if word.endswith("/profile"))
        profile = httpx.get(profile_url, headers=headers).json()
        assert profile["plays"] + profile["skips"] > 0 and profile["top_genres"]["long_term"]
        weekly_url = next(word for word in text.split() if word.endswith("/discover-weekly"))
        weekly = httpx.get(weekly_url, headers=headers)
        assert weekly.status_code == 200 and weekly.json()["tracks"], weekly.text
        dj_url = next(word for word in text.split() if word.endswith("/dj/next"))
        assert httpx.post(dj_url, headers=headers).json()["tracks"]
        wrapped_url = next(word for word in text.split() if "/wrapped/" in word)
        recap = httpx.get(wrapped_url, headers=headers)
        assert recap.status_code == 200 and recap.json()["minutes_listened"] > 0, recap.text
        assert recap.json()["user_id"] == profile_url.split("/")[-2]
        story = httpx.get(wrapped_url + "/story.json", headers=headers).json()
        assert story["layers"] and story["assets"]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
        log.close()
