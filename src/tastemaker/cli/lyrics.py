"""``tastemaker lyrics import``: lyrics beside the library's audio files, or from a CSV, analysed and
stored under each track's ``"lyrics"`` label (sentiment, valence, themes, language, explicit)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.nlp.embeddings import configure as configure_text_model
from tastemaker.platform import open_store
from tastemaker.storage.store import Store

EMBEDDINGS_CACHE = "nlp-embeddings.sqlite"


@cli.group()
def lyrics() -> None:
    """Lyrics: import them and analyse what they say."""


@lyrics.command("import")
@click.argument("paths", metavar="PATH...", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CSV with a header row: track_id,lyrics or artist,title,lyrics columns.",
)
@click.option(
    "--columns",
    help="The CSV's columns to read, comma separated: TRACK_ID,LYRICS or ARTIST,TITLE,LYRICS.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object on stdout.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def import_lyrics(
    ctx: click.Context,
    paths: tuple[Path, ...],
    csv_file: Path | None,
    columns: str | None,
    as_json: bool,
    no_progress: bool,
) -> None:
    """Analyse the .lrc/.txt files under each PATH that sit beside scanned audio files (same name,
    same folder: run `tastemaker scan` first), or the rows of --csv. Safe to re-run."""
    if not paths and csv_file is None:
        msg = "give PATH... (folders or lyrics files) or --csv FILE"
        raise click.UsageError(msg)
    if columns is not None and csv_file is None:
        msg = "--columns goes with --csv"
        raise click.UsageError(msg)
    from tastemaker.nlp import embeddings, lyrics_import

    config = config_from(ctx)

    configure_text_model(precision=config["nlp_precision"])
    config.data_dir.mkdir(parents=True, exist_ok=True)
    embeddings.use_persistent_cache(config.data_dir / EMBEDDINGS_CACHE)
    store: Store = open_store(config)
    try:
        report = lyrics_import.ImportReport()
        if paths:
            report = lyrics_import.import_files(store, list(paths), progress=not no_progress)
        if csv_file is not None:
            wanted = [name.strip() for name in columns.split(",")] if columns else None
            report.add(lyrics_import.import_csv(store, csv_file, columns=wanted, progress=not no_progress))
    finally:
        store.close()
        embeddings.use_persistent_cache(None)
    click.echo(json.dumps(report.as_dict()) if as_json else report.summary())
