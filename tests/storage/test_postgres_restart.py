"""PostgreSQL restarted under load: writers carry on through the restart, and no acknowledged write is lost.

Restarts the local server (root and pg_ctlcluster needed; skipped elsewhere), so it is marked slow and
kept short; the server is running again when the test ends, whatever happened.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tastemaker.errors import BackendUnavailable
from tastemaker.storage.models import Listen, User
from tastemaker.storage.postgres_store import PostgresStore
from tests.postgres_schema import postgres_schema_url, postgres_server_url

pytestmark = pytest.mark.slow


def cluster() -> list[str]:
    versions = sorted(Path("/etc/postgresql").glob("*/main")) if Path("/etc/postgresql").exists() else []
    if not versions or shutil.which("pg_ctlcluster") is None:
        pytest.skip("no local PostgreSQL cluster to restart (pg_ctlcluster)")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].parent.name, "main"]


def wait_up(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def store() -> Iterator[PostgresStore]:
    command = cluster()
    server = postgres_server_url()
    try:
        with postgres_schema_url() as url:
            opened = PostgresStore(f"{url}&pool_min=2&pool_max=4")
            try:
                yield opened
            finally:
                opened.close()
    finally:  # never leave the server down for the tests after this one
        subprocess.run([*command, "start"], capture_output=True, check=False)
        wait_up(server)


def test_writes_survive_a_server_restart(store: PostgresStore) -> None:
    acknowledged_users: list[str] = []
    acknowledged_listens: list[str] = []
    refused: list[str] = []
    stop = threading.Event()
    start = datetime(2025, 1, 1, tzinfo=UTC)

    def write(worker: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            name = f"w{worker}-{n}"
            listens = [
                Listen(user_id=name, event_id=f"{name}-{i}", ts=start + timedelta(minutes=i), track_id="t")
                for i in range(20)
            ]
            try:
                store.put_user(User(name=name, token_hash=name, created_at=start))
                acknowledged_users.append(name)
                store.add_listens(listens)
                acknowledged_listens.extend(listen.event_id for listen in listens)
            except BackendUnavailable as exc:  # not acknowledged: a client would send it again
                refused.append(str(exc))

    writers = [threading.Thread(target=write, args=(w,)) for w in range(3)]
    for thread in writers:
        thread.start()
    time.sleep(0.5)
    before = len(acknowledged_users)
    subprocess.run([*cluster(), "restart", "-m", "fast"], check=True, capture_output=True)
    time.sleep(1.0)
    stop.set()
    for thread in writers:
        thread.join(60)
    assert not any(thread.is_alive() for thread in writers), "a writer hung"

    assert before > 0 and len(acknowledged_users) > before + 3  # writes went on after the restart
    assert refused == []  # a write whose COMMIT was lost is an upsert: it simply ran again
    for name in acknowledged_users:
        assert store.get_user(name) is not None, name
    day = start.date()
    stored = {listen.event_id for name in acknowledged_users for listen in store.listens(name, day)}
    assert set(acknowledged_listens) <= stored
