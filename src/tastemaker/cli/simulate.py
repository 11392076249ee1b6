"""``tastemaker simulate``: a deterministic simulated world of listening, into a file, the log or a server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import click

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.platform import Platform
from tastemaker.simulate import open_sink, run_simulation
from tastemaker.simulate.log_sink import LogSink
from tastemaker.simulate.sinks import Sink
from tastemaker.simulate.sound import AUDIO_MODES

PARTS = ("all", "catalog", "listening")


def default_start(days: int) -> date:
    """So that the simulated listening ends by yesterday (its last sessions run past midnight):
    recent enough for short-term tastes to matter, never in the future."""
    return datetime.now(UTC).date() - timedelta(days=days + 1)


@cli.command()
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed and sizes: the same world.")
@click.option("--users", type=click.IntRange(1), default=2000, show_default=True, help="Listeners.")
@click.option("--tracks", type=click.IntRange(10), default=20000, show_default=True, help="Catalog tracks.")
@click.option("--days", type=click.IntRange(1), default=14, show_default=True, help="Days of listening.")
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day (default: so that the last day is yesterday).",
)
@click.option("--limit", type=click.IntRange(1), help="Stop after this many events.")
@click.option(
    "--part",
    type=click.Choice(PARTS),
    default="all",
    show_default=True,
    help="Only the catalog (track_added events), only the listening, or both.",
)
@click.option(
    "--audio",
    type=click.Choice(AUDIO_MODES),
    default="none",
    show_default=True,
    help="synth: give every track a synth: audio URL (synthesized at its tempo, key and energy), "
    "for the player and the audio analyser.",
)
@click.option(
    "--to",
    "to",
    required=True,
    help="ndjson FILE|-, parquet DIR, log (this data dir's event log), null, or the URL of a server.",
)
@click.argument("target", required=False)
@click.option(
    "--token", envvar="TASTEMAKER_TOKEN", help="Admin token, when --to is a URL [env TASTEMAKER_TOKEN]."
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def simulate(
    ctx: click.Context,
    seed: int,
    users: int,
    tracks: int,
    days: int,
    start: datetime | None,
    limit: int | None,
    part: str,
    audio: str,
    to: str,
    target: str | None,
    token: str | None,
    no_progress: bool,
) -> None:
    """Generate listening events for a simulated world (deterministic by --seed and --start).

    Examples: `--to ndjson events.ndjson`, `--to parquet out/`, `--to log`,
    `--to http://127.0.0.1:8000 --token TOKEN`.
    """
    first_day = start.date() if start else default_start(days)
    platform: Platform | None = None
    sink: Sink
    if to == "log":
        platform = Platform.open(config_from(ctx))
        sink = LogSink(platform.event_log)
    else:
        sink = open_sink(to, target, token=token)
    try:
        written = run_simulation(
            seed=seed,
            users=users,
            tracks=tracks,
            days=days,
            start=first_day,
            sink=sink,
            limit_events=limit,
            progress=not no_progress,
            part=part,
            audio=audio,
        )
    finally:
        if platform is not None:
            platform.close()
    click.echo(
        f"simulated {written:,} events (seed {seed}, {users:,} users, {tracks:,} tracks, "
        f"{days} days from {first_day})",
        err=True,
    )
