"""kill -9 `tastemaker serve` during an ingest: every acknowledged event survives, exactly once downstream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tastemaker.config import Config
from tastemaker.platform import Platform
from tastemaker.profiles.profile import decode
from tests.conftest import free_port

pytestmark = pytest.mark.crash
USERS = 20


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tastemaker", "--data-dir", str(data_dir), "serve", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 503):
                return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("server did not start")


def send_until_killed(url: str, token: str, acked: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=10) as client:
        batch = 0
        while not stop.is_set():
            events = [
                {
                    "type": "play",
                    "user_id": f"u{i % USERS}",
                    "event_id": f"b{batch}-{i}",
                    "track_id": f"t{i % 50}",
                    "ts": f"2025-01-01T00:{batch % 60:02d}:{i % 60:02d}Z",
                    "ms_played": 1000,
                }
                for i in range(200)
            ]
            try:
                response = client.post("/v1/events", json={"events": events})
            except httpx.TransportError:
                return
            if response.status_code == 202:
                acked.extend(response.json()["accepted"])
            batch += 1


def wait_caught_up(url: str, token: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        consumers = httpx.get(f"{url}/healthz", timeout=5).json()["consumers"]
        if consumers and all(c["lag"] == 0 for c in consumers.values()):
            return
        time.sleep(0.1)
    raise AssertionError("consumers did not catch up after restart")


def test_kill_9_during_ingest_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    token = subprocess.run(
        [sys.executable, "-m", "tastemaker", "--data-dir", str(data_dir), "users", "add", "root", "--admin"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(data_dir, port)
    acked: list[str] = []
    stop = threading.Event()
    sender = threading.Thread(target=send_until_killed, args=(url, token, acked, stop))
    sender.start()
    while len(acked) < 4000:
        time.sleep(0.02)
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    stop.set()
    sender.join(15)

    server = start_server(data_dir, port)
    try:
        wait_caught_up(url, token)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)

    with Platform.open(Config.load({"data_dir": str(data_dir)}, env={})) as platform:
        logged: list[str] = []
        while records := platform.event_log.poll("verify", 10_000).records:
            logged.extend(r.event.event_id for r in records)
        counts = Counter(logged)
        assert max(counts.values()) == 1
        assert set(acked) <= set(counts)
        per_user = Counter(int(event_id.split("-")[1]) % USERS for event_id in logged)
        for user in range(USERS):
            history = sum(n for _, n in platform.store.listen_days(f"u{user}"))
            profile = decode(platform.store.get_profile(f"u{user}") or b"")
            assert history == per_user[user] == profile.plays
