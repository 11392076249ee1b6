"""Shared fixtures: real SQLite backends in tmp folders, and the real app over loopback HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from litestar import Litestar

from tastemaker.accounts import create_user
from tastemaker.api.app import create_app
from tastemaker.config import Config
from tastemaker.platform import Platform

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(name: str) -> Path:
    """A data set from ../shared/data, or a skip saying why (users' clones do not have it)."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"needs ../shared/data/{name} (present in CI, not in a user's clone)")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config.load({"data_dir": str(tmp_path / "data"), "log_synchronous": "NORMAL"}, env={})


@pytest.fixture
def platform(config: Config) -> Iterator[Platform]:
    with Platform.open(config) as opened:
        yield opened


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    platform: Platform
    admin_token: str
    user_token: str
    user: str = "alice"

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Token {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def wait_consumers(self, timeout_s: float = 30) -> None:
        for runner in self.platform.runners.values():
            assert runner.wait_caught_up(timeout_s), f"{runner.name} did not catch up"


@contextmanager
def serving(app: Litestar) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def live_server(platform: Platform) -> Iterator[LiveServer]:
    """The real app served by uvicorn on a free loopback port, consumers running in-process."""
    admin = create_user(platform.store, "root", admin=True, rotate=False)
    user = create_user(platform.store, "alice", admin=False, rotate=False)
    with serving(create_app(platform)) as url:
        yield LiveServer(url=url, platform=platform, admin_token=admin, user_token=user)
