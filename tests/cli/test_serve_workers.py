"""`serve --workers 2` and `serve --consumer-process`: API and consumers in separate processes, one log."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port


@pytest.mark.parametrize("layout", [["--workers", "2"], ["--consumer-process"]], ids=["workers", "child"])
def test_api_and_consumers_in_separate_processes(tmp_path: Path, layout: list[str]) -> None:
    base = [sys.executable, "-m", "tastemaker", "--data-dir", str(tmp_path)]
    token = subprocess.run([*base, "users", "add", "root", "--admin"], capture_output=True, text=True,
                           check=True).stdout.strip()  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [*base, "serve", "--port", str(port), "--workers", "2"], stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=10) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "server did not start"
                    time.sleep(0.1)
            for batch in range(20):
                events = [{"type": "play", "user_id": f"u{i % 5}", "track_id": "t1", "ms_played": 1000,
                           "ts": f"2025-01-01T00:{batch:02d}:{i:02d}Z"} for i in range(50)]  # fmt: skip
                assert client.post("/v1/events", json={"events": events}).status_code == 202
            while any(c["lag"] for c in client.get("/healthz").json()["consumers"].values()):
                assert time.monotonic() < deadline + 30, "consumers did not catch up"
                time.sleep(0.1)
            totals = [client.get(f"/v1/users/u{u}/listens").json()["total"] for u in range(5)]
            assert totals == [200] * 5
            assert client.get("/v1/users/u0/profile").json()["plays"] == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)  # raises if the server and its children do not stop


def test_consumer_child_exits_when_serve_is_killed(tmp_path: Path) -> None:
    base = [sys.executable, "-m", "tastemaker", "--data-dir", str(tmp_path)]
    server = subprocess.Popen([*base, "serve", "--port", str(free_port()), "--consumer-process"],
                              stderr=subprocess.DEVNULL)  # fmt: skip

    def children() -> list[str]:
        found = subprocess.run(["pgrep", "-f", f"{tmp_path} worker all"], capture_output=True, text=True)
        return found.stdout.split()

    deadline = time.monotonic() + 30
    while not children():
        assert time.monotonic() < deadline, "consumer child did not start"
        time.sleep(0.1)
    server.send_signal(signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 10
    while children():
        assert time.monotonic() < deadline, "consumer child outlived serve"
        time.sleep(0.1)
