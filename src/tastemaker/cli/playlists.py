"""``tastemaker weekly`` and ``tastemaker daily``: generated playlists for every listener, from the model."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

import click
from tqdm import tqdm

from tastemaker.backends import STORES, open_backend
from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.storage.store import Store


@cli.command()
@click.option(
    "--user",
    "users",
    multiple=True,
    metavar="NAME",
    help="Only this listener (repeatable). Default: every listener the model was trained on.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@click.pass_context
@friendly_errors
def weekly(ctx: click.Context, users: tuple[str, ...], no_progress: bool) -> None:
    """Make this week's Discover Weekly (30 new tracks each, with reasons) for every listener.

    Uses the newest model from `tastemaker train`; a listener's list for the current ISO week is
    replaced, earlier weeks are kept. Listeners read theirs at GET /v1/users/NAME/playlists/discover-weekly.
    """
    from tastemaker.recommend import discover_weekly as dw
    from tastemaker.recommend.model_files import load_current, models_dir

    config = config_from(ctx)
    model = load_current(models_dir(config.data_dir))
    store: Store = open_backend(STORES, config["store_url"])
    now = datetime.now(UTC)
    targets = list(users) or model.user_ids
    started = time.monotonic()
    sizes = []
    try:
        for user in tqdm(
            targets, desc="discover weekly", unit=" users", file=sys.stderr, disable=no_progress
        ):
            playlist = dw.discover_weekly(model, store, user, known=dw.known_tracks(store, user), now=now)
            store.put_playlist(playlist)
            sizes.append(len(playlist.track_ids))
    finally:
        store.close()
    seconds = time.monotonic() - started
    short = sum(1 for n in sizes if n < dw.WeeklyParams().size)
    click.echo(
        f"Discover Weekly {dw.week_id(now).removeprefix(dw.KIND + '-')} for {len(sizes)} listeners "
        f"from model v{model.version} in {seconds:.1f} s ({len(sizes) / max(seconds, 1e-9):.0f} users/s); "
        f"{short} got fewer than {dw.WeeklyParams().size} tracks"
    )


@cli.command()
@click.option(
    "--user",
    "users",
    multiple=True,
    metavar="NAME",
    help="Only this listener (repeatable). Default: every listener the model was trained on.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@click.pass_context
@friendly_errors
def daily(ctx: click.Context, users: tuple[str, ...], no_progress: bool) -> None:
    """Make today's Daily Mixes (up to 6 per listener) from the newest model.

    Each mix is one cluster of the listener's established taste: mostly familiar tracks plus a few
    new ones that fit, named after its genre or leading artist. Listeners read them at
    GET /v1/users/NAME/playlists/daily-mixes.
    """
    from tastemaker.recommend import daily_mixes as dm
    from tastemaker.recommend.model_files import load_current, models_dir

    config = config_from(ctx)
    model = load_current(models_dir(config.data_dir))
    store: Store = open_backend(STORES, config["store_url"])
    now = datetime.now(UTC)
    targets = list(users) or model.user_ids
    started = time.monotonic()
    counts = []
    try:
        for user in tqdm(targets, desc="daily mixes", unit=" users", file=sys.stderr, disable=no_progress):
            mixes = dm.daily_mixes(model, store, user, now=now)
            for mix in mixes:
                store.put_playlist(mix)
            counts.append(len(mixes))
    finally:
        store.close()
    seconds = time.monotonic() - started
    click.echo(
        f"Daily Mixes {now.date().isoformat()} for {len(counts)} listeners from model v{model.version} "
        f"in {seconds:.1f} s: {sum(counts)} mixes ({sum(counts) / max(len(counts), 1):.1f} per listener); "
        f"{counts.count(0)} listeners had too little history for one"
    )
