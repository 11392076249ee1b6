"""``tastemaker serve`` (the API, with the consumers) and ``tastemaker worker NAME`` (consumers alone).

With one API process the consumers run as threads inside it: one process, nothing else to manage.
With ``--workers N`` the API runs in N processes (each validates on its own core and appends to the
shared log) and the consumers run in one supervised child process, since a consumer group must have
a single reader per partition.

Both stop gracefully on SIGTERM (what Kubernetes, systemd and ``docker stop`` send) and exit 0: the API
stops accepting, lets the requests in flight finish (at most ``API_GRACE_S``) and stops its consumers;
a worker finishes and commits the batch in hand (at most ``--stop-timeout``). See docs/deploy.md.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import click

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.config import Config
from tastemaker.platform import Platform

CONSUMERS = ("archiver", "profiler", "catalog")
API_GRACE_S = 20
"""Seconds in-flight requests get to finish after SIGTERM; under Kubernetes' default 30 s grace period."""
STOP_TIMEOUT_S = 25.0
"""Default seconds a worker gets to finish its batch after SIGTERM; also under the 30 s grace period."""


def _exit_zero_on_sigterm() -> None:
    """uvicorn shuts down cleanly on SIGTERM, then raises the signal again for the handler it found; with
    the default one the process dies by the signal (status -15, a crash to an orchestrator). This one
    exits 0 instead, and also when SIGTERM comes before uvicorn is listening."""

    def exit_zero(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, exit_zero)


def _serve_in_process(config: Config, *, consumers: bool) -> None:
    import uvicorn

    from tastemaker.api.app import create_app

    with Platform.open(config) as platform:
        app = create_app(platform, run_consumers=consumers)
        uvicorn.run(
            app, host=config["host"], port=config["port"], log_level="warning", access_log=False,
            timeout_graceful_shutdown=API_GRACE_S,
        )  # fmt: skip


def _spawn_consumers(config: Config) -> subprocess.Popen[bytes]:
    """``tastemaker worker all`` at a lower CPU priority: ingestion wins when cores are short."""
    command = [sys.executable, "-m", "tastemaker", "--data-dir", str(config.data_dir), "worker", "all",
               "--parent-pid", str(os.getpid())]  # fmt: skip
    return subprocess.Popen(command, preexec_fn=lambda: os.nice(5))


def _stop(child: subprocess.Popen[bytes] | None) -> None:
    if child is not None:
        child.terminate()
        child.wait(30)


def _serve_workers(ctx: click.Context, config: Config, *, workers: int, consumers: bool) -> None:
    import uvicorn

    from tastemaker.api.app import SETTINGS_ENV

    flags: dict[str, Any] = {"data_dir": str(config.data_dir), "host": config["host"], "port": config["port"]}
    os.environ[SETTINGS_ENV] = json.dumps({"flags": flags, "config_path": _config_path(ctx)})
    with Platform.open(config):
        pass  # create the databases once, before N processes race to
    child = _spawn_consumers(config) if consumers else None
    try:
        uvicorn.run(
            "tastemaker.api.app:app_from_environment", factory=True, workers=workers,
            host=config["host"], port=config["port"], log_level="warning", access_log=False,
            timeout_graceful_shutdown=API_GRACE_S,
        )  # fmt: skip
    finally:
        _stop(child)


def _config_path(ctx: click.Context) -> str | None:
    path = ctx.find_root().obj.get("config_path")
    return str(path) if path else None


@cli.command()
@click.option("--host", help="Address to listen on [env TASTEMAKER_HOST; default 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [env TASTEMAKER_PORT; default 8000].")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the embedded databases [env TASTEMAKER_DATA_DIR].")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="API processes; with more than 1 the consumers run in one child process.")  # fmt: skip
@click.option(
    "--consumer-process",
    is_flag=True,
    help="Run the consumers in a child process at lower priority: faster ingest, more lag.",
)
@click.option(
    "--no-consumers", is_flag=True, help="Serve the API only; run consumers with `tastemaker worker`."
)
@click.pass_context
@friendly_errors
def serve(
    ctx: click.Context, host: str | None, port: int | None, data_dir: Path | None, workers: int,
    consumer_process: bool, no_consumers: bool,
) -> None:  # fmt: skip
    """Serve the HTTP API, with the archiver, profiler and catalog consumers."""
    config = config_from(ctx, host=host, port=port, data_dir=str(data_dir) if data_dir else None)
    _exit_zero_on_sigterm()
    click.echo(f"serving on http://{config['host']}:{config['port']}  (data in {config.data_dir})", err=True)
    if workers > 1:
        _serve_workers(ctx, config, workers=workers, consumers=not no_consumers)
        return
    child = None
    if consumer_process and not no_consumers:
        with Platform.open(config):
            pass  # create the databases once, before two processes race to
        child = _spawn_consumers(config)
    try:
        _serve_in_process(config, consumers=not (no_consumers or consumer_process))
    finally:
        _stop(child)


def member_partitions(member: str, partitions: int) -> list[int]:
    """The partitions member ``K/N`` takes: every N-th from K."""
    k_text, _, n_text = member.partition("/")
    if not (k_text.isdigit() and n_text.isdigit()) or not 0 <= int(k_text) < int(n_text):
        msg = f"--member {member!r}: expected K/N with 0 <= K < N, e.g. 0/2"
        raise click.BadParameter(msg)
    k, n = int(k_text), int(n_text)
    if n > partitions:
        msg = f"--member {member}: {n} members but the log has {partitions} partitions; some would be idle"
        raise click.BadParameter(msg)
    return [p for p in range(partitions) if p % n == k]


@cli.command()
@click.argument("name", type=click.Choice([*CONSUMERS, "all"]))
@click.option("--once", is_flag=True, help="Process what is in the log now, then exit.")
@click.option(
    "--stop-timeout",
    type=click.FloatRange(min=0),
    default=STOP_TIMEOUT_S,
    show_default=True,
    help="On SIGTERM/SIGINT, seconds to finish and commit the batch in hand before exiting 1.",
)
@click.option(
    "--heartbeat",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Touch FILE every second while every consumer loop runs (a liveness probe checks its age).",
)
@click.option(
    "--member",
    metavar="K/N",
    help="Be member K (0-based) of N processes sharing this consumer: take the log partitions p with "
    "p % N == K (N at most the log's partitions; e.g. a StatefulSet's ordinal / replicas).",
)
@click.option("--parent-pid", type=int, hidden=True, help="Exit when this process is gone (set by serve).")
@click.pass_context
@friendly_errors
def worker(
    ctx: click.Context,
    name: str,
    once: bool,
    stop_timeout: float,
    heartbeat: Path | None,
    member: str | None,
    parent_pid: int | None,
) -> None:
    """Run consumer NAME (or all of them) alone: scale out with `serve --no-consumers`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    names = CONSUMERS if name == "all" else (name,)
    with Platform.open(config_from(ctx)) as platform:
        partitions = member_partitions(member, len(platform.event_log.end_offsets())) if member else None
        runners = [platform.runner(n, partitions=partitions) for n in names]
        done = threading.Event()

        def stop(signum: int, _frame: FrameType | None) -> None:
            done.set()
            for runner in runners:
                runner.request_stop()  # checked between batches: the one in hand is finished first

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if once:
            for runner in runners:
                click.echo(f"{runner.name}: handled {runner.drain()} events", err=True)
            return
        for runner in runners:
            runner.start()
        lags = ", ".join(f"{r.name} lag {platform.event_log.lag(r.name)}" for r in runners)
        click.echo(f"consuming ({lags}); Ctrl-C to stop", err=True)
        while not done.wait(1.0):
            if heartbeat is not None and all(r.alive for r in runners):
                heartbeat.touch()
            if parent_pid is not None and os.getppid() != parent_pid:
                break  # serve died without stopping us (kill -9): do not linger as an orphan
        deadline = time.monotonic() + stop_timeout
        stuck = [r.name for r in runners if not r.stop(max(0.0, deadline - time.monotonic()))]
        if stuck:
            click.echo(f"error: {', '.join(stuck)} still handling a batch after {stop_timeout:g} s; "
                       "its events will be delivered again", err=True)  # fmt: skip
            # Closing the store under a running batch could fail it halfway; exiting now leaves the batch
            # uncommitted, to be delivered again, as after kill -9 (tests/services/test_crash_serve.py).
            os._exit(1)
        click.echo("stopped: every batch in hand handled and committed", err=True)
