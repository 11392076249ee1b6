"""``tastemaker train``: factors, co-occurrence and ANN indexes from the event log, as a new model version."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click
import msgspec
from tqdm import tqdm

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.platform import Platform
from tastemaker.recommend.params import BASKETS, AlsParams, TrainParams
from tastemaker.storage.store import Store

if TYPE_CHECKING:  # the recommend modules import NumPy, SciPy and implicit: only when training
    from tastemaker.recommend.interactions import Interactions
    from tastemaker.recommend.model import Model
    from tastemaker.recommend.training import AudioVectors, Timings

_ALS = AlsParams()
NO_EVENTS = (
    "no listening events yet: run `tastemaker simulate --to log` or `tastemaker import` first "
    "(or send plays to POST /v1/events)"
)


def _audio_vectors(store: Store, *, progress: bool) -> AudioVectors:
    """Looks up the tracks' audio similarity vectors, one multi-get per 10,000 tracks."""
    from tastemaker.audio.records import load_vectors_many

    def lookup(item_ids: Sequence[str]) -> Mapping[str, Sequence[float]]:
        found: dict[str, Sequence[float]] = {}
        with tqdm(
            total=len(item_ids), desc="audio vectors", unit=" tracks", file=sys.stderr, disable=not progress
        ) as bar:
            for start in range(0, len(item_ids), 10_000):
                chunk = item_ids[start : start + 10_000]
                found.update(load_vectors_many(store, chunk))
                bar.update(len(chunk))
        return found

    return lookup


def _summary(
    version: int, model: Model, interactions: Interactions, timings: Timings, params: TrainParams
) -> dict[str, Any]:
    matrix = interactions.matrix
    return {
        "version": version,
        "users": interactions.users,
        "tracks": interactions.items,
        "events": interactions.events,
        "pairs": int(matrix.nnz),
        "negative_pairs": int((matrix.data < 0).sum()),
        "sessions": int(interactions.baskets.shape[0]),
        "factors": params.als.factors,
        "similarity_pairs": int(model.similarity.nnz),
        "audio_vectors": int(model.audio_index.num_elements) if model.audio_index is not None else 0,
        "seconds": {name: round(value, 2) for name, value in timings.seconds.items()},
    }


@cli.command()
@click.option(
    "--factors",
    type=click.IntRange(1),
    default=_ALS.factors,
    show_default=True,
    help="ALS latent factors.",
)
@click.option(
    "--regularization",
    type=click.FloatRange(0),
    default=_ALS.regularization,
    show_default=True,
    help="ALS L2 regularisation.",
)
@click.option(
    "--iterations",
    type=click.IntRange(1),
    default=_ALS.iterations,
    show_default=True,
    help="ALS iterations.",
)
@click.option(
    "--cooccurrence",
    type=click.Choice(BASKETS),
    default="session",
    show_default=True,
    help="Co-occurrence within listening sessions or within whole user histories.",
)
@click.option(
    "--keep",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Model versions to keep on disk (the newest ones).",
)
@click.option("--no-audio", is_flag=True, help="Skip the index of audio-feature vectors.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@click.pass_context
@friendly_errors
def train(
    ctx: click.Context,
    factors: int,
    regularization: float,
    iterations: int,
    cooccurrence: str,
    keep: int,
    no_audio: bool,
    as_json: bool,
    no_progress: bool,
) -> None:
    """Train the recommendation models from every listening event in the log.

    Writes a new version under DATA_DIR/models/ (atomically; a running server picks it up without a
    restart) and keeps the newest --keep versions. Progress on stderr, a summary on stdout.
    """
    from tastemaker.recommend.model_files import models_dir, write_model
    from tastemaker.recommend.training import Timings, build_model, interactions_from_log

    progress = not no_progress
    config = config_from(ctx)
    params = TrainParams(
        als=AlsParams(factors=factors, regularization=regularization, iterations=iterations),
        baskets=cooccurrence,
    )
    timings = Timings()
    started = time.perf_counter()
    with Platform.open(config) as platform:

        def durations(track_ids: set[str]) -> dict[str, int]:
            tracks = platform.tracks.get_many(track_ids)
            return {t: track.duration_ms for t, track in tracks.items() if track.duration_ms}

        with timings.step("read_log"):
            interactions = interactions_from_log(platform.event_log, durations=durations, progress=progress)
        if interactions.positives() == 0:
            raise click.ClickException(NO_EVENTS)
        audio = None if no_audio else _audio_vectors(platform.store, progress=progress)
        model = build_model(interactions, params, audio_vectors=audio, progress=progress, timings=timings)
    with timings.step("write"):
        extra = {"train": params.as_dict(), "events": interactions.events, "timings_s": timings.seconds}
        version = write_model(models_dir(config.data_dir), model, extra=extra, keep=keep)
    timings.seconds["total"] = time.perf_counter() - started
    summary = _summary(version, model, interactions, timings, params)
    if as_json:
        click.echo(msgspec.json.encode(summary).decode())
        return
    seconds = ", ".join(f"{name} {value:.1f}" for name, value in summary["seconds"].items())
    click.echo(f"model v{version} in {models_dir(config.data_dir)}")
    click.echo(
        f"  {summary['users']:,} users × {summary['tracks']:,} tracks from {summary['events']:,} events "
        f"({summary['pairs']:,} user-track pairs, {summary['negative_pairs']:,} negative)"
    )
    click.echo(
        f"  {summary['factors']} factors; co-occurrence over {summary['sessions']:,} "
        f"{'sessions' if cooccurrence == 'session' else 'users'}, {summary['similarity_pairs']:,} pairs; "
        f"audio index of {summary['audio_vectors']:,} tracks"
    )
    click.echo(f"  seconds: {seconds}")
