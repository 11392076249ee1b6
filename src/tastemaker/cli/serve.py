"""``tastemaker serve`` (API + every consumer in one process) and ``tastemaker worker NAME``."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.platform import Platform


@cli.command()
@click.option("--host", help="Address to listen on [env TASTEMAKER_HOST; default 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [env TASTEMAKER_PORT; default 8000].")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the embedded databases [env TASTEMAKER_DATA_DIR].",
)
@click.option(
    "--no-consumers", is_flag=True, help="Serve the API only; run consumers with `tastemaker worker`."
)
@click.pass_context
@friendly_errors
def serve(
    ctx: click.Context, host: str | None, port: int | None, data_dir: Path | None, no_consumers: bool
) -> None:
    """Serve the HTTP API, with the archiver and profiler running in the same process."""
    import uvicorn

    from tastemaker.api.app import create_app

    config = config_from(ctx, host=host, port=port, data_dir=str(data_dir) if data_dir else None)
    with Platform.open(config) as platform:
        app = create_app(platform, run_consumers=not no_consumers)
        click.echo(
            f"serving on http://{config['host']}:{config['port']}  (data in {config.data_dir})", err=True
        )
        uvicorn.run(app, host=config["host"], port=config["port"], log_level="warning", access_log=False)


@cli.command()
@click.argument("name", type=click.Choice(["archiver", "profiler"]))
@click.option("--once", is_flag=True, help="Process what is in the log now, then exit.")
@click.pass_context
@friendly_errors
def worker(ctx: click.Context, name: str, once: bool) -> None:
    """Run consumer NAME alone (scale out: one process per consumer, `serve --no-consumers` for the API)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = config_from(ctx)
    with Platform.open(config) as platform:
        runner = platform.runner(name)
        if once:
            click.echo(f"{name}: handled {runner.drain()} events", err=True)
            return
        done = threading.Event()

        def stop(signum: int, _frame: FrameType | None) -> None:
            done.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        runner.start()
        click.echo(f"{name}: consuming (lag {platform.event_log.lag(name)}); Ctrl-C to stop", err=True)
        done.wait()
        runner.stop()
