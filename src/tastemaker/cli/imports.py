"""``tastemaker import``: bring listening history from Spotify, ListenBrainz, Last.fm and Maloja exports."""

from __future__ import annotations

from pathlib import Path

import click

from tastemaker.backends import EVENT_LOGS, open_backend
from tastemaker.catalog.importers.lastfm_csv import import_lastfm_csv
from tastemaker.catalog.importers.listenbrainz import import_listenbrainz
from tastemaker.catalog.importers.maloja import import_maloja
from tastemaker.catalog.importers.report import ImportReport
from tastemaker.catalog.importers.spotify import import_spotify
from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.events.log import EventLog
from tastemaker.platform import log_url

PATH = click.Path(exists=True, path_type=Path)


def _open_log(ctx: click.Context) -> EventLog:
    config = config_from(ctx)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    event_log: EventLog = open_backend(EVENT_LOGS, log_url(config))
    return event_log


def _finish(report: ImportReport) -> None:
    click.echo(report.summary(), err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    click.echo(
        "a running `tastemaker serve` (or `tastemaker worker NAME`) folds them into listens and profiles",
        err=True,
    )


@cli.group("import")
def import_() -> None:
    """Import listening history. Re-importing the same export adds nothing."""


@import_.command("spotify")
@click.argument("path", type=PATH)
@click.option("--user", required=True, help="Whose history this is (Spotify exports do not say).")
@click.option(
    "--include-private",
    is_flag=True,
    help="Also import plays from private sessions (skipped by default: the listener opted out).",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def spotify(ctx: click.Context, path: Path, user: str, include_private: bool, no_progress: bool) -> None:
    """Import a Spotify privacy export: the .zip, its folder, or Streaming_History_Audio_*.json,
    endsong_*.json or StreamingHistory*.json files."""
    event_log = _open_log(ctx)
    try:
        report = import_spotify(
            path, user=user, log=event_log, progress=not no_progress, include_private=include_private
        )
    finally:
        event_log.close()
    _finish(report)


@import_.command("listenbrainz")
@click.argument("path", type=PATH)
@click.option("--user", help="Import as this user (default: the user name in the export).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def listenbrainz(ctx: click.Context, path: Path, user: str | None, no_progress: bool) -> None:
    """Import a ListenBrainz export: the .zip, a JSON array of listens, or JSONL."""
    event_log = _open_log(ctx)
    try:
        report = import_listenbrainz(path, user=user, log=event_log, progress=not no_progress)
    finally:
        event_log.close()
    _finish(report)


@import_.command("lastfm")
@click.argument("path", type=PATH)
@click.option("--user", required=True, help="Whose scrobbles these are (the CSV does not say).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def lastfm(ctx: click.Context, path: Path, user: str, no_progress: bool) -> None:
    """Import Last.fm scrobbles from a CSV export (lastfm-to-csv, or the uts,...,track_mbid format)."""
    event_log = _open_log(ctx)
    try:
        report = import_lastfm_csv(path, user=user, log=event_log, progress=not no_progress)
    finally:
        event_log.close()
    _finish(report)


@import_.command("maloja")
@click.argument("path", type=PATH)
@click.option("--user", required=True, help="Whose scrobbles these are (the export does not say).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def maloja(ctx: click.Context, path: Path, user: str, no_progress: bool) -> None:
    """Import a Maloja export (maloja_export_*.json)."""
    event_log = _open_log(ctx)
    try:
        report = import_maloja(path, user=user, log=event_log, progress=not no_progress)
    finally:
        event_log.close()
    _finish(report)
