"""``tastemaker scan DIR...``: add a music library to the catalog and analyse its audio."""

from __future__ import annotations

import json
from pathlib import Path

import click

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.platform import open_store
from tastemaker.storage.store import Store


@cli.command()
@click.argument(
    "dirs", metavar="DIR...", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)
@click.option(
    "--jobs",
    type=click.IntRange(min=0),
    help="Analysis processes (0 = one per CPU) [env TASTEMAKER_SCAN_JOBS; default 0].",
)
@click.option("--force", is_flag=True, help="Re-read and re-analyse every file, changed or not.")
@click.option("--no-analysis", is_flag=True, help="Only read tags into the catalog; analyse later.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object on stdout.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def scan(
    ctx: click.Context,
    dirs: tuple[Path, ...],
    jobs: int | None,
    force: bool,
    no_analysis: bool,
    as_json: bool,
    no_progress: bool,
) -> None:
    """Add the audio files under each DIR (mp3, flac, ogg, opus, wav, m4a, aac, aiff) to the catalog
    from their tags, and store their audio features and analysis.

    Incremental: files unchanged since the last scan are skipped, so a killed scan resumes where it
    stopped. A file that cannot be analysed is reported at the end, never stops the scan.
    """
    from tastemaker.catalog.scan import scan as scan_library  # SciPy: loaded when a scan runs

    config = config_from(ctx, scan_jobs=jobs)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store: Store = open_store(config)
    try:
        report = scan_library(
            store,
            list(dirs),
            jobs=int(config["scan_jobs"]),
            force=force,
            analysis=not no_analysis,
            max_duration_s=float(config["audio_max_duration_s"]),
            progress=not no_progress,
        )
    finally:
        store.close()
    click.echo(json.dumps(report.as_dict()) if as_json else report.summary())
