"""``tastemaker weekly`` and ``tastemaker daily``: generated playlists for every listener, from the model."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click
from tqdm import tqdm

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.platform import open_store
from tastemaker.storage.models import Playlist
from tastemaker.storage.store import Store

if TYPE_CHECKING:  # the model brings SciPy, implicit and voyager: loaded only when a command runs
    from tastemaker.recommend.model import Model

Make = Callable[["Model", Store, list[str], datetime], list[list[Playlist]]]
"""Playlists for a chunk of listeners, per listener: a chunk lets the model score them together."""
CHUNK = 256


def listener_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")(command)
    return click.option(
        "--user",
        "users",
        multiple=True,
        metavar="NAME",
        help="Only this listener (repeatable). Default: every listener the model was trained on.",
    )(command)


def for_each_listener(
    ctx: click.Context, users: tuple[str, ...], *, progress: bool, what: str, make: Make
) -> tuple[Model, list[list[int]], float, datetime]:
    """Run ``make`` for every listener with the newest model and store what it returns.

    Returns the model, per listener the track count of each playlist made, the seconds it took and
    the time the playlists are stamped with.
    """
    from tastemaker.recommend.model_files import load_current, models_dir

    config = config_from(ctx)
    model = load_current(models_dir(config.data_dir))
    store: Store = open_store(config)
    now = datetime.now(UTC)
    started = time.monotonic()
    made: list[list[int]] = []
    targets = list(users) or model.user_ids
    try:
        with tqdm(total=len(targets), desc=what, unit=" users", file=sys.stderr, disable=not progress) as bar:
            for start in range(0, len(targets), CHUNK):
                chunk = targets[start : start + CHUNK]
                per_listener = make(model, store, chunk, now)
                store.put_playlists([p for playlists in per_listener for p in playlists])  # one commit
                made.extend([len(p.track_ids) for p in playlists] for playlists in per_listener)
                bar.update(len(chunk))
    finally:
        store.close()
    return model, made, time.monotonic() - started, now


@cli.command()
@listener_options
@click.pass_context
@friendly_errors
def weekly(ctx: click.Context, users: tuple[str, ...], no_progress: bool) -> None:
    """Make this week's Discover Weekly (30 new tracks each, with reasons) for every listener.

    Uses the newest model from `tastemaker train`; a listener's list for the current ISO week is
    replaced, earlier weeks are kept. Listeners read theirs at GET /v1/users/NAME/playlists/discover-weekly.
    """
    from tastemaker.recommend import discover_weekly as dw

    def make(model: Model, store: Store, chunk: list[str], now: datetime) -> list[list[Playlist]]:
        candidates = model.recommend_many(chunk, dw.WeeklyParams().candidates)
        return [
            [
                dw.discover_weekly(
                    model,
                    store,
                    user,
                    known=dw.known_tracks(store, user),
                    now=now,
                    candidates=candidates.get(user),
                )
            ]
            for user in chunk
        ]

    model, made, seconds, now = for_each_listener(
        ctx, users, progress=not no_progress, what="discover weekly", make=make
    )
    size = dw.WeeklyParams().size
    sizes = [tracks[0] for tracks in made]
    click.echo(
        f"Discover Weekly {dw.week_id(now).removeprefix(dw.KIND + '-')} for {len(sizes)} listeners "
        f"from model v{model.version} in {seconds:.1f} s ({len(sizes) / max(seconds, 1e-9):.0f} users/s); "
        f"{sum(1 for n in sizes if n < size)} got fewer than {size} tracks"
    )


@cli.command()
@listener_options
@click.pass_context
@friendly_errors
def daily(ctx: click.Context, users: tuple[str, ...], no_progress: bool) -> None:
    """Make today's Daily Mixes (up to 6 per listener) from the newest model.

    Each mix is one cluster of the listener's established taste: mostly familiar tracks plus a few
    new ones that fit, named after its genre or leading artist. Listeners read them at
    GET /v1/users/NAME/playlists/daily-mixes.
    """
    from tastemaker.recommend import daily_mixes as dm

    def make(model: Model, store: Store, chunk: list[str], now: datetime) -> list[list[Playlist]]:
        return [dm.daily_mixes(model, store, user, now=now) for user in chunk]

    model, made, seconds, now = for_each_listener(
        ctx, users, progress=not no_progress, what="daily mixes", make=make
    )
    counts = [len(mixes) for mixes in made]
    click.echo(
        f"Daily Mixes {now.date().isoformat()} for {len(counts)} listeners from model v{model.version} "
        f"in {seconds:.1f} s: {sum(counts)} mixes ({sum(counts) / max(len(counts), 1):.1f} per listener); "
        f"{counts.count(0)} listeners had too little history for one"
    )
