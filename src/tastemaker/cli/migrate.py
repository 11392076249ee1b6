"""``tastemaker migrate …``: move to another Store with no downtime (dark loading; docs/migration.md)."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click
import msgspec
from tqdm import tqdm

from tastemaker.backends import STORES, open_backend
from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.config import Config
from tastemaker.errors import ConfigError
from tastemaker.platform import migration_state
from tastemaker.storage.migrate import PHASES, ROLLBACK, MigrationState, StateFile, advance, backfill, verify
from tastemaker.storage.rows import TABLES, Exportable
from tastemaker.storage.store import Store

NEXT_PHASE = dict(itertools.pairwise(PHASES))


def _state(config: Config) -> tuple[StateFile, MigrationState]:
    state_file = migration_state(config)
    state = state_file.load()
    if state is None:
        msg = "no migration in progress: start one with `tastemaker migrate start --to URL`"
        raise ConfigError(msg)
    return state_file, state


@contextmanager
def _stores(state: MigrationState) -> Iterator[tuple[Exportable, Store]]:
    """The migration's source (which must be able to export its tables) and target, opened directly."""
    source: Store = open_backend(STORES, state.source_url)
    try:
        if not isinstance(source, Exportable):
            msg = f"{state.source_url!r}: this store cannot export its tables, so it cannot be migrated from"
            raise ConfigError(msg)
        target: Store = open_backend(STORES, state.target_url)
        try:
            yield source, target
        finally:
            target.close()
    finally:
        source.close()


def _tables(chosen: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t for t in TABLES if t in chosen) if chosen else TABLES


@cli.group()
def migrate() -> None:
    """Move the Store to another backend with no downtime: mirror, backfill, verify, cut over.

    Run `migrate start --to URL` while everything is running; every process mirrors its writes to
    the new store within a second. Then `migrate backfill`, `migrate verify --repair`, and
    `migrate cutover` (twice: reads, then writes), watching the shadow-read mismatch counters in
    /metrics. `migrate rollback` moves back; `migrate finish` ends it once store_url names the new store.
    """


@migrate.command("start")
@click.option("--to", "target_url", required=True, help="URL of the new store (it is created/migrated now).")
@click.option(
    "--shadow-rate",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Share of reads also made on the other store and compared.",
)
@click.pass_context
@friendly_errors
def migrate_start(ctx: click.Context, target_url: str, shadow_rate: float) -> None:
    """Start mirroring every write to the store at --to (the current store stays primary)."""
    config = config_from(ctx)
    state_file = migration_state(config)
    if state_file.load() is not None:
        msg = f"a migration is already in progress ({state_file.path}): see `migrate status`"
        raise click.ClickException(msg)
    source_url = config["store_url"]
    if target_url == source_url:
        msg = "--to names the current store_url; give the new store's URL"
        raise click.ClickException(msg)
    open_backend(STORES, target_url).close()  # reachable, and its schema created, before anyone mirrors
    now = datetime.now(UTC)
    state = MigrationState(
        source_url=source_url,
        target_url=target_url,
        started_at=now,
        shadow_rate=shadow_rate,
        history=[(now, "mirroring")],
    )
    state_file.save(state)
    click.echo(
        f"mirroring writes to {target_url}; every process follows within a second. Next: migrate backfill"
    )


@migrate.command("backfill")
@click.option("--table", "tables", multiple=True, type=click.Choice(TABLES), help="Only these tables.")
@click.option(
    "--batch", "batch_rows", type=click.IntRange(1), default=2000, show_default=True, help="Rows per batch."
)
@click.option(
    "--max-rows-per-s", type=click.FloatRange(0), default=0.0, show_default=True, help="Throttle (0: none)."
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def migrate_backfill(
    ctx: click.Context, tables: tuple[str, ...], batch_rows: int, max_rows_per_s: float, no_progress: bool
) -> None:
    """Copy what the old store held before mirroring began; resumable (a checkpoint per batch)."""
    state_file, state = _state(config_from(ctx))
    bar = tqdm(unit=" rows", file=sys.stderr, disable=no_progress, desc="backfill")

    def advance_bar(table: str, rows: int) -> None:
        bar.set_postfix_str(table)
        bar.update(rows)

    with _stores(state) as (source, target):
        copied = backfill(
            state_file,
            source,
            target,
            tables=_tables(tables),
            batch_rows=batch_rows,
            max_rows_per_s=max_rows_per_s,
            on_rows=advance_bar,
        )
    bar.close()
    click.echo(
        "copied " + ", ".join(f"{table} {n:,}" for table, n in copied.items() if n) or "nothing left to copy"
    )


@migrate.command("verify")
@click.option("--table", "tables", multiple=True, type=click.Choice(TABLES), help="Only these tables.")
@click.option("--repair", is_flag=True, help="Copy differing rows again.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def migrate_verify(
    ctx: click.Context, tables: tuple[str, ...], repair: bool, as_json: bool, no_progress: bool
) -> None:
    """Compare every row of the old store with the new one, per table; exit 1 when any differs."""
    _, state = _state(config_from(ctx))
    bar = tqdm(unit=" rows", file=sys.stderr, disable=no_progress, desc="verify")

    def advance_bar(_table: str, rows: int) -> None:
        bar.update(rows)

    with _stores(state) as (source, target):
        report = verify(source, target, tables=_tables(tables), repair=repair, on_rows=advance_bar)
    bar.close()
    if as_json:
        click.echo(msgspec.json.encode(report).decode())
    else:
        for table, parity in report.items():
            line = f"{table:14} {parity.rows:>10,} rows  {parity.differing:>8,} differing"
            click.echo(line + (f"  ({parity.repaired:,} repaired)" if parity.repaired else ""))
            for example in parity.examples:
                click.echo(f"    e.g. {example}")
    if any(parity.differing for parity in report.values()):
        sys.exit(1)


@migrate.command("cutover")
@click.pass_context
@friendly_errors
def migrate_cutover(ctx: click.Context) -> None:
    """Move one step: reads to the new store, then writes (the old one still mirrored), then done."""
    state_file, state = _state(config_from(ctx))
    if state.phase not in NEXT_PHASE:
        msg = f"the migration is {state.phase}: set store_url to {state.target_url} and run `migrate finish`"
        raise click.ClickException(msg)
    if state.phase == "mirroring" and set(TABLES) - set(state.done_tables):
        missing = ", ".join(t for t in TABLES if t not in state.done_tables)
        msg = f"backfill first (tables not copied yet: {missing})"
        raise click.ClickException(msg)
    state_file.save(advance(state, NEXT_PHASE[state.phase]))
    click.echo(f"phase {state.phase}: {_explain(state.phase)}")


@migrate.command("rollback")
@click.pass_context
@friendly_errors
def migrate_rollback(ctx: click.Context) -> None:
    """Move reads and writes back to the old store (the new one stays mirrored)."""
    state_file, state = _state(config_from(ctx))
    if state.phase not in ROLLBACK:
        msg = f"nothing to roll back in phase {state.phase}"
        raise click.ClickException(msg)
    state_file.save(advance(state, ROLLBACK[state.phase]))
    click.echo(f"phase {state.phase}: {_explain(state.phase)}")


@migrate.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the state as one JSON object.")
@click.pass_context
@friendly_errors
def migrate_status(ctx: click.Context, as_json: bool) -> None:
    """Where the migration is: phase, backfilled tables, history."""
    _, state = _state(config_from(ctx))
    if as_json:
        click.echo(msgspec.json.encode(state).decode())
        return
    click.echo(f"{state.source_url} -> {state.target_url}")
    click.echo(f"phase {state.phase}: {_explain(state.phase)}")
    click.echo(f"backfilled: {', '.join(state.done_tables) or 'nothing yet'}")


@migrate.command("abort")
@click.pass_context
@friendly_errors
def migrate_abort(ctx: click.Context) -> None:
    """Stop mirroring (only while the old store is still primary for reads and writes)."""
    state_file, state = _state(config_from(ctx))
    if state.phase != "mirroring":
        msg = f"phase {state.phase}: `migrate rollback` to mirroring first"
        raise click.ClickException(msg)
    state_file.remove()
    click.echo("migration aborted: every process uses the old store alone within a second")


@migrate.command("finish")
@click.pass_context
@friendly_errors
def migrate_finish(ctx: click.Context) -> None:
    """End a done migration, once store_url names the new store for every process."""
    config = config_from(ctx)
    state_file, state = _state(config)
    if state.phase != "done":
        msg = f"phase {state.phase}: cut over until done first"
        raise click.ClickException(msg)
    if config["store_url"] != state.target_url:
        msg = f"set store_url to {state.target_url} (and restart every process) first"
        raise click.ClickException(msg)
    state_file.remove()
    click.echo(f"migration finished; {state.source_url} is no longer written")


def _explain(phase: str) -> str:
    return {
        "mirroring": "reads from the old store; writes to the old, mirrored to the new",
        "reads_new": "reads from the new store; writes to the old, mirrored to the new",
        "writes_new": "reads and writes on the new store, mirrored to the old (rollback still possible)",
        "done": "the new store alone; set store_url to it, restart, then `migrate finish`",
    }[phase]
