"""``tastemaker demo`` (what ``make demo`` runs): a server with a simulated world loaded through the API."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import click
import httpx

from tastemaker.accounts import create_user
from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.cli.simulate import default_start
from tastemaker.platform import Platform
from tastemaker.simulate.listeners import user_id

DEMO_USER = "demo"


def demo_token(platform: Platform) -> str:
    """The demo admin's token, kept in the data dir so that a restarted demo prints the same one."""
    path = platform.config.data_dir / "demo-admin-token"
    if path.exists():
        return path.read_text().strip()
    token = create_user(platform.store, DEMO_USER, admin=True, rotate=True)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


def _tastemaker(data_dir: Path, *args: str) -> None:
    """A command in its own process, so that it and the server each get a core."""
    subprocess.run([sys.executable, "-m", "tastemaker", "--data-dir", str(data_dir), *args], check=True)


def _simulate(data_dir: Path, url: str, token: str, part: str, world: dict[str, object]) -> None:
    options = [f"--{k}={v}" for k, v in world.items()]
    _tastemaker(data_dir, "simulate", "--to", url, "--token", token, "--part", part, *options)


def _wait_caught_up(platform: Platform, *, timeout_s: float = 600) -> None:
    for runner in platform.runners.values():
        runner.wait_caught_up(timeout_s=timeout_s)


ANALYSIS_CORE_S_PER_TRACK = 0.06
"""Rendering and analysing a synthesized track's first 30 s (``catalog/scan_worker.py``), measured."""


def _wait_for_catalog(platform: Platform, world: dict[str, int | str]) -> None:
    """The catalog consumer analyses every synthesized track before the listening is sent, so the
    Taste Profiles fold the audio features of what is played (the profiler reads them at play time)."""
    if world.get("audio") == "synth":
        tracks = int(world["tracks"])
        estimate = tracks * ANALYSIS_CORE_S_PER_TRACK / (os.cpu_count() or 1)
        message = f"analysing the audio of {tracks:,} synthesized tracks (about {estimate:.0f} s) ..."
        click.echo(message, err=True)
        _wait_caught_up(platform, timeout_s=max(600.0, 10 * estimate))
    else:
        _wait_caught_up(platform)


def _listener(platform: Platform, users: int) -> str:
    """A simulated listener who has a profile, to show in the example curl lines."""
    for index in range(min(users, 1000)):
        if platform.store.get_profile(user_id(index)) is not None:
            return user_id(index)
    return user_id(0)


def wrapped_year(start: date, days: int) -> int:
    """The year the demo world's listening ends in: the one its Wrapped is made for."""
    return (start + timedelta(days=days - 1)).year


def load_world(platform: Platform, url: str, token: str, started: float, world: dict[str, int | str]) -> None:
    """Catalog first (and archived, so plays find their genres), then the listening, through the API."""
    marker = platform.config.data_dir / "demo-loaded"
    if not marker.exists():
        start = default_start(int(world["days"]))
        world_with_start: dict[str, object] = {**world, "start": start.isoformat()}
        click.echo(f"loading a simulated world {world_with_start} through {url}/v1/events ...", err=True)
        _simulate(platform.config.data_dir, url, token, "catalog", world_with_start)
        _wait_for_catalog(platform, world)
        _simulate(platform.config.data_dir, url, token, "listening", world_with_start)
        _wait_caught_up(platform)
        # The recommenders, so that Discover Weekly, Daily Mixes and the DJ answer at once; the
        # server picks the trained model up without a restart.
        for command in ("train", "weekly", "daily"):
            click.echo(f"tastemaker {command} ...", err=True)
            _tastemaker(platform.config.data_dir, command, "--no-progress")
        year = wrapped_year(start, int(world["days"]))
        click.echo(f"tastemaker wrapped {year} ...", err=True)
        _tastemaker(platform.config.data_dir, "wrapped", str(year), "--no-progress")
        marker.write_text(start.isoformat() + "\n")
    year = wrapped_year(date.fromisoformat(marker.read_text().strip()), int(world["days"]))
    user = _listener(platform, int(world["users"]))
    click.echo(
        f"\nready in {time.monotonic() - started:.0f} s: open {url}/ and pick a listener; admin token:\n"
        f"  export TOKEN={token}\n"
        f'  curl -H "Authorization: Token $TOKEN" {url}/v1/users/{user}/profile\n'
        f"  curl -H \"Authorization: Token $TOKEN\" '{url}/v1/users/{user}/listens?count=5'\n"
        f'  curl -H "Authorization: Token $TOKEN" {url}/v1/users/{user}/playlists/discover-weekly\n'
        f'  curl -X POST -H "Authorization: Token $TOKEN" {url}/v1/users/{user}/dj/next\n'
        f'  curl -H "Authorization: Token $TOKEN" {url}/v1/users/{user}/wrapped/{year}\n'
        f"  API docs: {url}/docs   Ctrl-C stops the server.",
        err=True,
    )


@cli.command()
@click.option("--port", type=int, help="Port [default 8000].")
@click.option("--users", type=click.IntRange(1), default=2000, show_default=True, help="Simulated listeners.")
@click.option(
    "--tracks",
    type=click.IntRange(10),
    default=5000,
    show_default=True,
    help="Simulated tracks (each synthesized and analysed: about 1 core-minute per 1,000).",
)
@click.option("--days", type=click.IntRange(1), default=14, show_default=True, help="Days of listening.")
@click.pass_context
@friendly_errors
def demo(ctx: click.Context, port: int | None, users: int, tracks: int, days: int) -> None:
    """Serve the API and the web app on 127.0.0.1:8000 and, on first start, load a simulated world of
    2,000 listeners and 5,000 tracks with synthesized audio through the real ingestion path; prints a
    token and curl lines to try."""
    import uvicorn

    from tastemaker.api.app import create_app

    started = time.monotonic()
    # Every simulated track gets synthesized audio (a synth: URL), which the player streams and the
    # catalog consumer analyses; demo mode lets the web app offer the simulated listeners.
    world: dict[str, int | str] = {"seed": 1, "users": users, "tracks": tracks, "days": days}
    world["audio"] = "synth"
    config = config_from(ctx, port=port, demo_mode=True)
    with Platform.open(config) as platform:
        token = demo_token(platform)
        url = f"http://{config['host']}:{config['port']}"
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(platform), host=config["host"], port=config["port"], log_level="warning"
            )
        )

        logging.getLogger("httpx").setLevel(logging.WARNING)

        def loader() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            try:
                httpx.get(f"{url}/healthz", timeout=10)
                load_world(platform, url, token, started, world)
            except (subprocess.CalledProcessError, httpx.HTTPError) as exc:
                click.echo(f"loading the demo world failed: {exc}", err=True)
                server.should_exit = True

        threading.Thread(target=loader, daemon=True).start()
        server.run()
