"""Dark-loading migration under live ingest: mirror, backfill, verify, cut over, roll back — with the
api and its consumers running, events arriving over HTTP the whole time, and nothing lost or doubled."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tastemaker.backends import STORES, open_backend
from tastemaker.cli import cli
from tastemaker.storage.migrate import MirroredStore
from tastemaker.storage.rows import TABLES
from tastemaker.storage.store import Store
from tests.conftest import LiveServer
from tests.postgres_schema import postgres_schema_url

USERS = 12


class Load:
    """Plays posted over HTTP in a thread until stopped; every answer is recorded."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.accepted: set[str] = set()
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        n = 0
        start = datetime.now(UTC) - timedelta(days=20)
        with self.server.client(self.server.admin_token) as client:
            while not self.stop.is_set():
                events = [
                    {
                        "type": "play",
                        "user_id": f"listener{(n + i) % USERS}",
                        "event_id": f"load-{n + i}",
                        "ts": (start + timedelta(seconds=2 * (n + i))).isoformat(),
                        "track_name": f"Song {(n + i) % 40}",
                        "artist_name": f"Artist {(n + i) % 9}",
                        "ms_played": 120_000,
                    }
                    for i in range(20)
                ]
                n += 20
                try:
                    response = client.post("/v1/events", json={"events": events})
                    if response.status_code != 202:
                        self.failures.append(f"{response.status_code} {response.text[:200]}")
                    else:
                        self.accepted.update(response.json()["accepted"])
                    for user in ("listener0", "listener1"):  # reads during every phase
                        read = client.get(f"/v1/users/{user}/listens", params={"count": 5})
                        if read.status_code not in (200, 404):
                            self.failures.append(f"read {read.status_code} {read.text[:200]}")
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                time.sleep(0.01)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)


def run(data_dir: Path, *args: str) -> str:
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data_dir), "migrate", *args, "--no-progress"]
        if args[0] in ("backfill", "verify")
        else ["--data-dir", str(data_dir), "migrate", *args],
        obj={},
    )
    assert result.exit_code == 0, result.output
    return result.output


def stored_event_ids(store: Store) -> list[str]:
    ids = []
    for u in range(USERS):
        for day, _ in store.listen_days(f"listener{u}"):
            ids += [listen.event_id for listen in store.listens(f"listener{u}", day)]
    return ids


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The new store: another SQLite file, or a PostgreSQL schema (skipped without a server)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/new-store/store.db"
        return
    with postgres_schema_url() as url:
        yield url


def mismatches(store: MirroredStore) -> int:
    return sum(n for (kind, _), n in store.counters.items() if kind == "shadow_mismatches")


def wait_for(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_migration_under_live_load_loses_and_doubles_nothing(
    live_server: LiveServer, target_url: str
) -> None:
    data_dir = live_server.platform.config.data_dir
    store = live_server.platform.store
    assert isinstance(store, MirroredStore) and store.phase == "none"
    with Load(live_server) as load:
        wait_for(lambda: len(load.accepted) >= 200)
        assert "mirroring writes" in run(data_dir, "start", "--to", target_url, "--shadow-rate", "1")
        wait_for(lambda: store.phase == "mirroring")
        wait_for(lambda: len(load.accepted) >= 600)
        run(data_dir, "backfill")
        report = run(data_dir, "verify", "--repair")
        assert "listens" in report
        store.wait_rechecks()
        after_backfill = mismatches(store)
        snapshot = dict(store.counters)
        run(data_dir, "cutover")  # reads move to the new store
        wait_for(lambda: store.phase == "reads_new")
        wait_for(lambda: len(load.accepted) >= 900)
        run(data_dir, "rollback")  # and back, under load
        wait_for(lambda: store.phase == "mirroring")
        run(data_dir, "cutover")
        run(data_dir, "cutover")  # writes move too; the old store is now the mirror
        wait_for(lambda: store.phase == "writes_new")
        wait_for(lambda: len(load.accepted) >= 1200)
    live_server.wait_consumers()
    store.wait_rechecks()
    assert load.failures == []
    assert mismatches(store) == after_backfill, {k: v - snapshot.get(k, 0) for k, v in store.counters.items()}
    reads = sum(n for (kind, _), n in store.counters.items() if kind == "shadow_reads")
    errors = sum(n for (kind, _), n in store.counters.items() if kind in ("mirror_errors", "shadow_errors"))
    assert reads > 0 and errors == 0
    new = open_backend(STORES, target_url)
    try:
        for side in (store.old, new):
            ids = stored_event_ids(side)
            counted = sum(n for u in range(USERS) for _, n in side.listen_days(f"listener{u}"))
            assert len(ids) == len(set(ids)) == counted, "a listen was stored or counted twice"
            assert set(ids) == load.accepted, "a listen was lost"
    finally:
        new.close()
    verify = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "migrate", "verify", "--no-progress"], obj={}
    )
    assert verify.exit_code == 0, verify.output
    assert all(f"{table:14}" in verify.output for table in TABLES)
    metrics = httpx.get(f"{live_server.url}/metrics").text
    assert "tastemaker_migration_shadow_reads_total" in metrics
    assert 'tastemaker_migration_phase{phase="writes_new"} 1.0' in metrics


def test_migrate_commands_refuse_out_of_order(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["--data-dir", data_dir, "migrate", *args], obj={})
        return result.exit_code, result.output

    code, out = invoke("status")
    assert code == 1 and "no migration in progress" in out
    code, out = invoke("start", "--to", f"sqlite:///{data_dir}/store.db")
    assert code == 1 and "current store_url" in out
    assert invoke("start", "--to", f"sqlite:///{tmp_path}/new.db")[0] == 0
    code, out = invoke("start", "--to", f"sqlite:///{tmp_path}/other.db")
    assert code == 1 and "already in progress" in out
    code, out = invoke("cutover")
    assert code == 1 and "backfill first" in out
    code, out = invoke("rollback")
    assert code == 1 and "nothing to roll back" in out
    code, out = invoke("finish")
    assert code == 1 and "cut over until done" in out
    assert invoke("abort")[0] == 0
    assert invoke("status")[0] == 1


def test_cli_commands_write_through_the_mirror(tmp_path: Path) -> None:
    """Commands that open the Store themselves (users, scan, playlists, …) follow the migration too."""
    data_dir = str(tmp_path / "data")
    new_url = f"sqlite:///{tmp_path}/new.db"

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--data-dir", data_dir, *args], obj={})
        assert result.exit_code == 0, result.output
        return result.output

    invoke("migrate", "start", "--to", new_url)
    invoke("users", "add", "bob")
    new = open_backend(STORES, new_url)
    try:
        assert new.get_user("bob") is not None
    finally:
        new.close()
