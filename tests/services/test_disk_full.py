"""Disk full while appending: the API answers a clear 503, and every event it acknowledged survives.

The data folder is a 1 MiB tmpfs mounted for the test (root only; skipped elsewhere), filled by real
requests to the real server; then the file system is grown, as freeing space would.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tastemaker.config import Config
from tastemaker.events.log import DeadLetterLog
from tests.conftest import LiveServer


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)


@pytest.fixture
def config(disk: Path) -> Config:
    return Config.load({"data_dir": str(disk / "data"), "log_synchronous": "NORMAL"}, env={})


def play(n: int) -> dict[str, Any]:
    return {
        "type": "play",
        "ts": f"2025-03-{1 + n // 1440 % 28:02d}T{n // 60 % 24:02d}:{n % 60:02d}:00Z",
        "track_name": f"Song {n % 50} with a long enough title to fill pages",
        "artist_name": f"Artist {n % 11}",
        "ms_played": 120_000,
    }


def test_disk_full_answers_503_and_loses_nothing_acknowledged(live_server: LiveServer, disk: Path) -> None:
    acknowledged: list[str] = []
    refused: dict[str, Any] | None = None
    with live_server.client(live_server.user_token) as client:
        for batch in range(400):
            response = client.post("/v1/events", json={"events": [play(batch * 100 + n) for n in range(100)]})
            if response.status_code != 202:
                assert response.status_code == 503, response.text
                refused = response.json()
                break
            acknowledged += response.json()["accepted"]
        assert refused is not None, "the 1 MiB disk never filled"
        assert acknowledged, "the disk was full before the first request"
        assert refused["ok"] is False and refused["status"] == 503
        assert "disk is full" in refused["error"] and "send it again" in refused["error"]

        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)  # space comes back
        response = client.post("/v1/events", json={"events": [play(10**6 + n) for n in range(10)]})
        assert response.status_code == 202, response.text
        acknowledged += response.json()["accepted"]

        live_server.wait_consumers(60)
        event_log = live_server.platform.event_log
        stored = {r.event.event_id for r in event_log.poll("verify", 10**7).records}
        assert set(acknowledged) <= stored
        assert (
            isinstance(event_log, DeadLetterLog) and event_log.dead_letters() == []
        )  # not the events' fault
        listens = client.get("/v1/users/alice/listens", params={"count": 1}).json()
        assert listens["total"] == len(set(acknowledged))
