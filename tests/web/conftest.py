"""A small demo world served over loopback, and Debian's Chromium driven by Playwright.

The world is loaded exactly as ``tastemaker demo`` loads its own (simulated catalog with synthesized audio,
listening through ``/v1/events``, then train, weekly, daily and wrapped), only smaller, once per module.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import pytest

from tastemaker.api.app import create_app
from tastemaker.cli.demo import demo_token, load_world, wrapped_year
from tastemaker.config import Config
from tastemaker.platform import Platform
from tests.conftest import serving

STATIC = Path(__file__).resolve().parents[2] / "src" / "tastemaker" / "api" / "static"
WORLD: dict[str, int | str] = {"seed": 1, "users": 40, "tracks": 600, "days": 14, "audio": "synth"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@dataclass
class DemoWorld:
    url: str
    platform: Platform
    admin_token: str
    year: int
    console_errors: list[str] = field(default_factory=list)

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Token {self.admin_token}"}, timeout=30
        )


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("needs Debian's chromium (make test installs it as root: apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWorld]:
    if not (STATIC / "index.html").exists():
        pytest.skip("the web app is not built: make test builds it (cd web && npm ci && npm run build)")
    data_dir = tmp_path_factory.mktemp("web-demo")
    config = Config.load({"data_dir": str(data_dir), "demo_mode": True, "scan_jobs": 1}, env={})
    with Platform.open(config) as platform:
        token = demo_token(platform)
        with serving(create_app(platform)) as url:
            load_world(platform, url, token, time.monotonic(), WORLD)
            start = date.fromisoformat((data_dir / "demo-loaded").read_text().strip())
            yield DemoWorld(url, platform, token, wrapped_year(start, int(WORLD["days"])))


@pytest.fixture(scope="session")
def browser(demo_world: DemoWorld) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where page screenshots go: ``TASTEMAKER_SCREENSHOTS`` (docs/screenshots when refreshing the docs)."""
    wanted = os.environ.get("TASTEMAKER_SCREENSHOTS")
    return Path(wanted) if wanted else tmp_path_factory.getbasetemp() / "screenshots"
