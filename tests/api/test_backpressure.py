"""Ingest backpressure over real HTTP: consumers stopped so that lag is real, then drained."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tastemaker.accounts import create_user
from tastemaker.api.app import create_app
from tastemaker.api.backpressure import SAMPLE_INTERVAL_S, sqlite_log_files
from tastemaker.config import Config
from tastemaker.platform import Platform
from tests.conftest import serving as serve_app


@contextmanager
def serving(tmp_path: Path, **settings: Any) -> Iterator[tuple[str, Platform, str, str]]:
    """The real app over loopback with its consumers *not* running (lag only grows until drained)."""
    config = Config.load(
        {"data_dir": str(tmp_path / "data"), "log_synchronous": "NORMAL", **settings}, env={}
    )
    with Platform.open(config) as platform:
        admin = create_user(platform.store, "root", admin=True, rotate=False)
        alice = create_user(platform.store, "alice", admin=False, rotate=False)
        with serve_app(create_app(platform, run_consumers=False)) as url:
            try:
                yield url, platform, admin, alice
            finally:
                for opened in _CLIENTS:
                    opened.close()
                _CLIENTS.clear()


_CLIENTS: list[httpx.Client] = []


def client(url: str, token: str) -> httpx.Client:
    """A client closed when ``serving`` ends (ResourceWarnings are errors here)."""
    opened = httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=30)
    _CLIENTS.append(opened)
    return opened


def plays(n: int, start: int = 0) -> dict[str, Any]:
    ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "events": [
            {"type": "play", "user_id": "alice", "track_id": f"t{i}", "ts": ts, "event_id": f"bp-{i}"}
            for i in range(start, start + n)
        ]
    }


def log_size(platform: Platform) -> int:
    return sum(platform.event_log.end_offsets().values())


def wait_for_sample() -> None:
    time.sleep(SAMPLE_INTERVAL_S + 0.1)


def retry_after(response: httpx.Response) -> int:
    value = int(response.headers["Retry-After"])
    assert 1 <= value <= 60, value
    return value


def test_lag_bound_refuses_ingest_in_each_shape_and_recovers(tmp_path: Path) -> None:
    with serving(tmp_path, ingest_max_lag_events=3) as (url, platform, admin, alice):
        root, user = client(url, admin), client(url, alice)
        assert root.post("/v1/events", json=plays(5)).status_code == 202
        wait_for_sample()
        before = log_size(platform)
        assert before == 5

        native = root.post("/v1/events", json=plays(5, start=5))
        assert native.status_code == 503
        body = native.json()
        assert body["ok"] is False and body["status"] == 503 and body["reason"] == "consumer_lag"
        assert "5 events behind" in body["error"] and body["errors"] == []
        assert body["retry_after_s"] == retry_after(native)

        listen = {"listened_at": int(time.time()), "track_metadata": {"artist_name": "A", "track_name": "T"}}
        lb = user.post("/1/submit-listens", json={"listen_type": "single", "payload": [listen]})
        assert lb.status_code == 503 and set(lb.json()) == {"code", "error"} and lb.json()["code"] == 503
        retry_after(lb)

        maloja = httpx.post(f"{url}/apis/mlj_1/newscrobble", json={"key": alice, "title": "T", "artist": "A"})
        assert maloja.status_code == 503
        assert maloja.json()["status"] == "failure"
        assert maloja.json()["error"]["type"] == "service_unavailable"

        scrobble = httpx.post(f"{url}/2.0/", data={"method": "track.scrobble", "format": "json", "sk": "x"})
        assert scrobble.status_code == 503 and scrobble.json()["error"] == 11  # Last.fm: service offline
        retry_after(scrobble)
        xml = httpx.post(f"{url}/2.0/", data={"method": "track.scrobble", "sk": "x"})
        assert xml.status_code == 503 and b'<error code="11">' in xml.content
        # not a listen: the body the middleware peeked at still reaches the Last.fm router intact
        session = httpx.post(f"{url}/2.0/", data={"method": "auth.getMobileSession", "format": "json"})
        assert session.status_code != 503 and session.json()["error"] != 11

        assert log_size(platform) == before  # refused requests appended nothing
        assert user.get("/v1/users/alice/listens").status_code == 200  # reads keep working
        assert user.get("/1/validate-token").status_code == 200
        assert httpx.get(f"{url}/healthz").status_code == 200

        platform.drain()
        wait_for_sample()
        assert root.post("/v1/events", json=plays(5, start=5)).status_code == 202
        assert log_size(platform) == before + 5


def test_disk_bound_refuses_ingest_only(tmp_path: Path) -> None:
    with serving(tmp_path, ingest_max_lag_events=0, ingest_max_log_bytes=1) as (url, platform, admin, _):
        root = client(url, admin)
        refused = root.post("/v1/events", json=plays(2))
        assert refused.status_code == 503
        assert refused.json()["reason"] == "log_disk"
        assert "ingest_max_log_bytes" in refused.json()["error"]
        assert retry_after(refused) == 60
        assert log_size(platform) == 0
        assert root.get("/v1/users/alice/listens").status_code == 200


def test_bounds_off_accept_beyond_any_lag(tmp_path: Path) -> None:
    with serving(tmp_path, ingest_max_lag_events=0) as (url, platform, admin, _):
        root = client(url, admin)
        assert root.post("/v1/events", json=plays(5)).status_code == 202
        wait_for_sample()
        assert root.post("/v1/events", json=plays(5, start=5)).status_code == 202
        assert platform.event_log.lag("profiler") == 10


def test_sqlite_log_files_cover_the_wal_and_skip_other_backends() -> None:
    files = sqlite_log_files("sqlite:////var/lib/tm/events.db?partitions=8")
    assert files == [
        Path("/var/lib/tm/events.db"),
        Path("/var/lib/tm/events.db-wal"),
        Path("/var/lib/tm/events.db-shm"),
    ]
    assert sqlite_log_files("kafka://broker:9092/events") == []
