"""``tastemaker describe --track ID --file bio.txt``: keywords, language and tone of a text about a track
(a review, the artist's bio), stored as the track's ``"description"`` label."""

from __future__ import annotations

import json
from pathlib import Path

import click

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.errors import NotFound
from tastemaker.nlp.embeddings import configure as configure_text_model
from tastemaker.platform import open_store
from tastemaker.storage.store import Store


@cli.command()
@click.option("--track", "track_id", required=True, help="The catalog track the text is about.")
@click.option(
    "--file",
    "text_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The text (UTF-8): a review, a bio, liner notes.",
)
@click.option("--source", default="web", show_default=True, help="Where the text came from (provenance).")
@click.pass_context
@friendly_errors
def describe(ctx: click.Context, track_id: str, text_file: Path, source: str) -> None:
    """Store what a text says about a track (keywords, language, sentiment) and print it as JSON."""
    from tastemaker.nlp.webtext import describe as describe_text
    from tastemaker.nlp.webtext import store_description

    text = text_file.read_text(encoding="utf-8-sig", errors="replace").strip()
    if not text:
        msg = f"{text_file} has no text"
        raise click.UsageError(msg)
    config = config_from(ctx)
    configure_text_model(precision=config["nlp_precision"])
    store: Store = open_store(config)
    try:
        if store.get_track(track_id) is None:
            msg = f"no track {track_id!r} in the catalog"
            raise NotFound(msg)
        found = describe_text(text)
        store_description(store, track_id, found, source=source)
    finally:
        store.close()
    click.echo(json.dumps({"track_id": track_id, "keywords": found.keywords, "language": found.language,
                           "sentiment": found.sentiment, "words": found.words}))  # fmt: skip
