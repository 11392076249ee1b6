"""``tastemaker annotate``: genre, mood, activity, vocal/instrumental and era labels for every track."""

from __future__ import annotations

import json
import sys

import click
from tqdm import tqdm

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.nlp.embeddings import configure as configure_text_model
from tastemaker.platform import open_store


@cli.command()
@click.option(
    "--labeler",
    "labelers",
    multiple=True,
    metavar="NAME",
    help="Only this labeler (repeatable): audio, text, playlists, era or llm. Default: all but llm.",
)
@click.option("--track", "tracks", multiple=True, metavar="ID", help="Only this track (repeatable).")
@click.option(
    "--llm-url", help="OpenAI-compatible endpoint for the llm labeler (base URL) [env TASTEMAKER_LLM_URL]."
)
@click.option("--llm-model", help="Model name sent to the llm endpoint [env TASTEMAKER_LLM_MODEL].")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object on stdout.")
@click.pass_context
@friendly_errors
def annotate(
    ctx: click.Context,
    labelers: tuple[str, ...],
    tracks: tuple[str, ...],
    llm_url: str | None,
    llm_model: str | None,
    no_progress: bool,
    as_json: bool,
) -> None:
    """Label every track the newest model knows (or each --track) from its audio features, lyrics
    analysis, release date and the titles of the playlists it is in; each label keeps its confidence
    and sources. Stored under the track's "annotations" label; safe to re-run."""
    from tastemaker.annotate import registry
    from tastemaker.annotate.run import annotate as run
    from tastemaker.recommend.model_files import load_current, models_dir

    config = config_from(ctx, llm_url=llm_url, llm_model=llm_model)

    configure_text_model(precision=config["nlp_precision"])
    llm = {key: config[key] for key in ("llm_url", "llm_model", "llm_api_key", "llm_timeout_s")}
    chosen = [registry.create(name, **llm) for name in labelers or registry.DEFAULT]
    model = load_current(models_dir(config.data_dir))
    targets = list(dict.fromkeys(tracks)) or model.item_ids
    store = open_store(config)
    try:
        with tqdm(
            total=len(targets), desc="annotate", unit=" tracks", file=sys.stderr, disable=no_progress
        ) as bar:
            report = run(store, targets, chosen, users=model.user_ids, on_batch=bar.update)
    finally:
        store.close()
    click.echo(json.dumps(report.as_dict()) if as_json else report.summary())
