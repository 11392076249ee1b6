"""The scale-out layout for real: API, archiver and profiler in separate processes on a PostgreSQL store.

kill -9 of the archiver mid-load and its restart must lose and double nothing: every acknowledged event
ends up in the shared store's listens exactly once, and every user gets a profile.
"""

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

from tastemaker.backends import STORES, open_backend
from tastemaker.profiles.profile import decode
from tastemaker.storage.store import Store
from tests.conftest import free_port
from tests.postgres_schema import postgres_schema_url
from tests.services.test_graceful_shutdown import terminate, wait_until_serving

pytestmark = [pytest.mark.crash, pytest.mark.slow]
USERS = 20
BATCH = 200
DRAINED = ("archiver", "profiler")


class Sender:
    """Posts batches of plays in a thread until stopped, counting statuses; only a 202 acknowledges."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.acked: list[str] = []
        self.statuses: Counter[str] = Counter()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        headers = {"Authorization": f"Token {self.token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as client:
            batch = 0
            while not self.stop.is_set():
                events = [
                    {"type": "play", "user_id": f"u{i % USERS}", "event_id": f"b{batch}-{i}",
                     "track_id": f"t{i % 50}", "ts": f"2025-01-{1 + batch % 28:02d}T00:00:{i % 60:02d}Z",
                     "ms_played": 1000}
                    for i in range(BATCH)
                ]  # fmt: skip
                try:
                    response = client.post("/v1/events", json={"events": events})
                except httpx.TransportError as exc:
                    self.statuses[type(exc).__name__] += 1
                    continue
                self.statuses[str(response.status_code)] += 1
                if response.status_code == 202:
                    self.acked.extend(response.json()["accepted"])
                batch += 1

    def wait_for(self, acked: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.acked) < acked:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the sender got stuck"
            time.sleep(0.02)


def start(base: list[str], env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """A tastemaker process whose output goes to ``log`` (kept in the test's tmp_path after a failure)."""
    with log.open("ab") as out:
        return subprocess.Popen([*base, *args], env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_drained(url: str) -> None:
    """Until the archiver's and profiler's lag (read by the API from the shared log) is 0."""
    deadline = time.monotonic() + 60
    while True:
        consumers = httpx.get(f"{url}/healthz", timeout=5).json()["consumers"]
        if all(consumers[name]["lag"] == 0 for name in DRAINED):
            return
        assert time.monotonic() < deadline, f"consumers did not drain: {consumers}"
        time.sleep(0.1)


def stored_event_ids(store: Store, user: str) -> list[str]:
    return [listen.event_id for day, _ in store.listen_days(user) for listen in store.listens(user, day)]


def test_api_and_workers_as_processes_on_postgres_survive_kill_9_of_the_archiver(tmp_path: Path) -> None:
    with postgres_schema_url() as store_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASTEMAKER_")}
        env |= {"TASTEMAKER_STORE_URL": store_url, "TASTEMAKER_CONFIG": str(tmp_path / "none.toml"),
                "TASTEMAKER_CONSUMER_BATCH_SIZE": "500"}  # fmt: skip
        base = [sys.executable, "-m", "tastemaker", "--data-dir", str(tmp_path / "data")]
        token = subprocess.run([*base, "users", "add", "root", "--admin"], env=env, capture_output=True,
                               text=True, check=True).stdout.strip()  # fmt: skip
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        processes = {
            "api": start(base, env, tmp_path / "api.log", "serve", "--no-consumers", "--port", str(port)),
            "archiver": start(base, env, tmp_path / "archiver.log", "worker", "archiver"),
            "profiler": start(base, env, tmp_path / "profiler.log", "worker", "profiler"),
        }
        sender = Sender(url, token)
        try:
            wait_until_serving(url)
            sender.thread.start()
            sender.wait_for(3000)
            processes["archiver"].kill()  # kill -9, mid-load
            assert processes["archiver"].wait(10) == -signal.SIGKILL
            sender.wait_for(6000)
            processes["archiver"] = start(base, env, tmp_path / "archiver.log", "worker", "archiver")
            sender.wait_for(9000)
            sender.stop.set()
            sender.thread.join(30)
            wait_drained(url)
            assert {name: terminate(process) for name, process in processes.items()} == dict.fromkeys(
                processes, 0
            )
        finally:
            sender.stop.set()
            for process in processes.values():
                process.kill()
                process.wait(10)
        assert list(sender.statuses) == ["202"], f"every request acknowledged: {sender.statuses}"

        acked_per_user = Counter(f"u{int(e.split('-')[1]) % USERS}" for e in sender.acked)
        assert len(set(sender.acked)) == len(sender.acked) >= 9000
        store: Store = open_backend(STORES, store_url)
        try:
            for user in (f"u{u}" for u in range(USERS)):
                stored = stored_event_ids(store, user)
                assert len(stored) == len(set(stored)) == acked_per_user[user], user
                assert sum(n for _, n in store.listen_days(user)) == acked_per_user[user], user
                profile = store.get_profile(user)
                assert profile is not None and decode(profile).plays == acked_per_user[user], user
            assert {e for u in range(USERS) for e in stored_event_ids(store, f"u{u}")} == set(sender.acked)
        finally:
            store.close()
