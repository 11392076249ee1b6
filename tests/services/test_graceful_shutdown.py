"""SIGTERM (what Kubernetes sends) mid-load: exit 0, the batch in hand committed, nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tastemaker.config import Config
from tastemaker.events.schema import Play
from tastemaker.platform import Platform
from tests.conftest import free_port

EVENTS = 60_000
USERS = 20
EXIT_WITHIN_S = 15


def open_platform(data_dir: Path) -> Platform:
    return Platform.open(Config.load({"data_dir": str(data_dir)}, env={}))


def start_worker(data_dir: Path) -> subprocess.Popen[bytes]:
    """`tastemaker worker archiver` with small batches, so that SIGTERM finds one in hand."""
    command = [sys.executable, "-m", "tastemaker", "--data-dir", str(data_dir), "worker", "archiver",
               "--heartbeat", str(data_dir / "heartbeat")]  # fmt: skip
    env = {**os.environ, "TASTEMAKER_CONSUMER_BATCH_SIZE": "300"}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def terminate(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(EXIT_WITHIN_S)


def wait_for_lag(data_dir: Path, done: int) -> None:
    """Until the archiver has committed at least ``done`` events (and so is mid-load when below all)."""
    deadline = time.monotonic() + 30
    with open_platform(data_dir) as platform:
        end = sum(platform.event_log.end_offsets().values())
        while end - platform.event_log.lag("archiver") < done:
            assert time.monotonic() < deadline, "the archiver made no progress"
            time.sleep(0.02)


def listens_by_user(platform: Platform) -> Counter[str]:
    return Counter({f"u{u}": sum(n for _, n in platform.store.listen_days(f"u{u}")) for u in range(USERS)})


def logged_by_user(platform: Platform, *, committed_by: str | None = None) -> Counter[str]:
    """Each user's events in the log; with ``committed_by``, only those that group has committed."""
    limits = platform.event_log.committed(committed_by) if committed_by else None
    counts: Counter[str] = Counter()
    while records := platform.event_log.poll("verify", 10_000).records:
        counts.update(
            r.event.user_id for r in records if limits is None or r.offset < limits.get(r.partition, 0)
        )
    platform.event_log.rewind("verify")
    return counts


def test_worker_sigterm_commits_the_batch_in_hand_and_restart_drains(tmp_path: Path) -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    with open_platform(tmp_path) as platform:
        platform.event_log.append(
            [
                Play(
                    user_id=f"u{i % USERS}",
                    ts=start + timedelta(seconds=i),
                    event_id=f"e{i}",
                    track_id=f"t{i % 97}",
                )
                for i in range(EVENTS)
            ]
        )
    worker = start_worker(tmp_path)
    try:
        wait_for_lag(tmp_path, 3000)
        assert terminate(worker) == 0
    finally:
        worker.kill()
    with open_platform(tmp_path) as platform:
        lag = platform.event_log.lag("archiver")
        assert 0 < lag < EVENTS, "SIGTERM should have come mid-load"
        # Idempotent sinks would hide a redelivery after restart; here a half-handled or uncommitted batch
        # shows: the Store holds exactly the events below the committed offsets.
        assert listens_by_user(platform) == logged_by_user(platform, committed_by="archiver")

    (tmp_path / "heartbeat").unlink(missing_ok=True)
    worker = start_worker(tmp_path)
    try:
        wait_for_lag(tmp_path, EVENTS)
        deadline = time.monotonic() + 5
        while not (tmp_path / "heartbeat").exists():
            assert time.monotonic() < deadline, "no heartbeat from a running worker"
            time.sleep(0.05)
        assert terminate(worker) == 0
    finally:
        worker.kill()
    with open_platform(tmp_path) as platform:
        assert platform.event_log.lag("archiver") == 0
        assert (
            listens_by_user(platform)
            == logged_by_user(platform)
            == Counter({f"u{u}": EVENTS // USERS for u in range(USERS)})
        )


def post_until_refused(url: str, token: str, acked: list[str], statuses: Counter[int]) -> None:
    """Batches of plays until the server stops accepting; only a 202 counts as acknowledged."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=10) as client:
        for batch in range(10_000):
            events = [
                {"type": "play", "user_id": f"u{i % USERS}", "event_id": f"b{batch}-{i}", "track_id": "t1",
                 "ts": f"2025-01-01T00:{batch % 60:02d}:{i % 60:02d}Z", "ms_played": 1000}
                for i in range(200)
            ]  # fmt: skip
            try:
                response = client.post("/v1/events", json={"events": events})
            except httpx.TransportError:
                return
            statuses[response.status_code] += 1
            if response.status_code == 202:
                acked.extend(response.json()["accepted"])


def test_api_sigterm_finishes_requests_in_flight_and_exits_0(tmp_path: Path) -> None:
    base = [sys.executable, "-m", "tastemaker", "--data-dir", str(tmp_path)]
    token = subprocess.run([*base, "users", "add", "root", "--admin"], capture_output=True, text=True,
                           check=True).stdout.strip()  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [*base, "serve", "--no-consumers", "--port", str(port)], stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    acked: list[str] = []
    statuses: Counter[int] = Counter()
    sender = threading.Thread(target=post_until_refused, args=(url, token, acked, statuses))
    try:
        wait_until_serving(url)
        sender.start()
        while len(acked) < 2000:
            assert sender.is_alive(), "the sender stopped before the server did"
            time.sleep(0.01)
        assert terminate(server) == 0
    finally:
        server.kill()
        if sender.ident is not None:
            sender.join(15)
    assert set(statuses) == {202}, "every request the server took was answered, none with an error"
    with open_platform(tmp_path) as platform:
        logged = Counter(event_ids(platform))
        assert set(acked) <= set(logged)
        assert max(logged.values()) == 1

    drained = subprocess.run([*base, "worker", "archiver", "--once"], capture_output=True, timeout=30)
    assert drained.returncode == 0
    with open_platform(tmp_path) as platform:
        assert platform.event_log.lag("archiver") == 0
        assert listens_by_user(platform) == logged_by_user(platform)
        assert sum(listens_by_user(platform).values()) == len(logged)


def wait_until_serving(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)


def event_ids(platform: Platform) -> list[str]:
    ids: list[str] = []
    while records := platform.event_log.poll("ids", 10_000).records:
        ids.extend(r.event.event_id for r in records)
    return ids


def test_members_split_a_consumer_by_partition(tmp_path: Path) -> None:
    """Two `worker archiver --member K/2` processes take disjoint halves of the partitions; together
    they handle every event once."""
    start = datetime(2025, 3, 1, tzinfo=UTC)
    with open_platform(tmp_path) as platform:
        platform.event_log.append(
            [
                Play(
                    user_id=f"u{i % USERS}", ts=start + timedelta(seconds=i), event_id=f"m{i}", track_id="t1"
                )
                for i in range(2000)
            ]
        )
        partitions = len(platform.event_log.end_offsets())

    def member(spec: str) -> subprocess.CompletedProcess[bytes]:
        command = [sys.executable, "-m", "tastemaker", "--data-dir", str(tmp_path), "worker", "archiver",
                   "--once", "--member", spec]  # fmt: skip
        return subprocess.run(command, capture_output=True, timeout=120, check=False)

    assert member("0/2").returncode == 0
    with open_platform(tmp_path) as platform:
        committed = platform.event_log.committed("archiver")
        ends = platform.event_log.end_offsets()
        assert all(committed.get(p, 0) == ends[p] for p in range(0, partitions, 2))
        assert all(committed.get(p, 0) == 0 for p in range(1, partitions, 2) if ends[p])
        assert 0 < platform.event_log.lag("archiver") < 2000
    assert member("1/2").returncode == 0
    with open_platform(tmp_path) as platform:
        assert platform.event_log.lag("archiver") == 0
        assert listens_by_user(platform) == logged_by_user(platform)
    bad = member("2/2")
    assert bad.returncode == 2 and b"0 <= K < N" in bad.stderr
    too_many = member(f"0/{partitions + 1}")
    assert too_many.returncode == 2 and b"partitions" in too_many.stderr
