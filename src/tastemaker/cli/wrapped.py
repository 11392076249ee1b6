"""``tastemaker wrapped YEAR`` (the recap of every listener) and ``tastemaker archive …`` (its input)."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING

import click
import msgspec
from tqdm import tqdm

from tastemaker.cli.base import cli, config_from, friendly_errors
from tastemaker.engines import ENGINES, open_engine
from tastemaker.platform import Platform, open_archive

if TYPE_CHECKING:  # Parquet and fsspec load when a command needs them, not on every CLI start
    from tastemaker.storage.archive import Archive

FIRST_YEAR, LAST_YEAR = 2002, 2100  # ListenBrainz's earliest listen; anything past 2100 is a typo


@contextlib.contextmanager
def _days_bar(total: int, desc: str, *, progress: bool) -> Iterator[Callable[[date], None]]:
    """A progress bar over days on stderr, and the ``on_day`` callback that advances it."""
    bar = tqdm(total=total, unit=" days", file=sys.stderr, disable=not progress, desc=desc)

    def advance(_day: date) -> None:
        bar.update(1)

    try:
        yield advance
    finally:
        bar.close()


def _compact(archive: Archive, *, rebucket: bool, progress: bool) -> int:
    """Staged runs folded in and every day sealed into one file per bucket (fewest files for a job)."""
    days = archive.days_to_compact(rebucket=rebucket, seal=True)
    with _days_bar(len(days), "compact", progress=progress) as on_day:
        return archive.compact(days, rebucket=rebucket, seal=True, on_day=on_day)


def _verify(archive: Archive, *, progress: bool, everything: bool = False) -> dict[str, str]:
    """Files not recorded as written are read with their checksums verified and recorded (a stat per
    file when all are, as compaction leaves them), so the engines read only sound files."""
    with _days_bar(len(archive.days()), "verify", progress=progress) as on_day:
        return archive.verify(everything=everything, on_day=on_day)


@cli.command()
@click.argument("year", type=click.IntRange(FIRST_YEAR, LAST_YEAR))
@click.option(
    "--engine", type=click.Choice(ENGINES), default="duckdb", show_default=True, help="Batch engine."
)
@click.option(
    "--spark-master",
    default="local[2]",
    show_default=True,
    help="Spark master URL for --engine spark (local[N] here, spark://host:7077 or k8s://… on a cluster).",
)
@click.option(
    "--fresh", is_flag=True, help="Discard the stage files of an earlier run instead of resuming it."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@click.pass_context
@friendly_errors
def wrapped(
    ctx: click.Context,
    year: int,
    engine: str,
    spark_master: str,
    fresh: bool,
    as_json: bool,
    no_progress: bool,
) -> None:
    """Make YEAR's Wrapped recap for every listener with plays that year.

    Folds the archive's staged events into its buckets, verifies the checksums of any file not as
    compaction wrote it (a damaged one is left out and named), exports the tracks/artists/users dimensions
    from the Store, runs every statistic bucket by bucket on the chosen engine, and stores one recap
    per listener (served at GET /v1/users/{user}/wrapped/YEAR). Resumable: an interrupted run picks up
    at the first unfinished bucket; --fresh starts over.
    """
    from tastemaker.wrapped.dimensions import export_dimensions
    from tastemaker.wrapped.job import WrappedJob

    progress = not no_progress
    started = time.perf_counter()
    with Platform.open(config_from(ctx)) as platform:
        archive = platform.archive
        behind = platform.event_log.lag("archiver")
        if behind:
            click.echo(
                f"warning: the archiver is {behind:,} events behind the log; the recaps will not count them "
                "(run `tastemaker serve` or `tastemaker worker archiver` until it catches up)",
                err=True,
            )
        _compact(archive, rebucket=False, progress=progress)
        _verify(archive, progress=progress)
        if not archive.days():
            msg = (
                "the archive holds no events yet: the archiver writes it as events arrive (tastemaker serve)"
            )
            raise click.ClickException(msg)
        dimensions = export_dimensions(archive, platform.store, end=date(year + 1, 1, 1), progress=progress)
        runner = open_engine(engine, spark_master=spark_master)
        try:
            job = WrappedJob(archive, platform.store, year, runner, progress=progress)
            if fresh:
                archive.remove_tree(job.stage_dir)
            report = job.run()
        finally:
            runner.close()
    total_s = round(time.perf_counter() - started, 2)
    summary = {
        "year": year,
        "engine": engine,
        "listeners": report.listeners,
        "buckets": report.groups,
        "buckets_resumed": report.groups_resumed,
        "dimensions": dimensions,
        "seconds": {**{k: round(v, 2) for k, v in report.seconds.items()}, "total": total_s},
        "damaged_files": report.damaged,
    }
    for why in report.damaged.values():
        click.echo(f"warning: {why}; the recaps leave its events out", err=True)
    if as_json:
        click.echo(msgspec.json.encode(summary).decode())
        return
    if not report.listeners:
        click.echo(f"no listener has plays in {year}: no recaps made")
        return
    click.echo(
        f"Wrapped {year}: {report.listeners:,} recaps with {engine} over {report.groups} bucket run(s)"
        + (f", {report.groups_resumed} resumed" if report.groups_resumed else "")
        + f" in {total_s:.1f} s"
    )


@cli.group()
def archive() -> None:
    """The Parquet archive of all events (Sort-Merge-Bucket layout) that batch jobs read."""


@archive.command("compact")
@click.option("--rebucket", is_flag=True, help="Also rewrite days bucketed with another archive_buckets.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def archive_compact(ctx: click.Context, rebucket: bool, no_progress: bool) -> None:
    """Fold staged runs into the days' bucket files and seal every day still in shards into one
    file per bucket (the archiver does both as it goes; `wrapped` runs this first)."""
    done = _compact(open_archive(config_from(ctx)), rebucket=rebucket, progress=not no_progress)
    click.echo(f"compacted {done} day(s)")


@archive.command("verify")
@click.option("--all", "everything", is_flag=True, help="Also re-read files recorded as written (bit rot).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def archive_verify(ctx: click.Context, everything: bool, no_progress: bool) -> None:
    """Read the archive's files with their Parquet page checksums verified and record the good ones,
    so jobs trust them without reading them first. By default only files not recorded as compaction
    wrote them (an older archive, restored files; `wrapped` does this itself); --all re-reads every
    file to find bytes rotted in place. Exits 1 when any file is damaged, naming each."""
    archive = open_archive(config_from(ctx))
    damaged = _verify(archive, progress=not no_progress, everything=everything)
    for why in damaged.values():
        click.echo(f"damaged: {why}", err=True)
    click.echo(f"verified {len(archive.days())} day(s); {len(damaged)} damaged file(s)")
    if damaged:
        ctx.exit(1)


@archive.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
@friendly_errors
def archive_info(ctx: click.Context, as_json: bool) -> None:
    """Days, events and buckets in the archive, and what is still staged."""
    store = open_archive(config_from(ctx))
    days = store.days()
    rows = sum(store.metadata(store.day_dir(d)).rows for d in days)
    info = {
        "url": store.url,
        "buckets": store.buckets,
        "days": len(days),
        "first_day": days[0].isoformat() if days else None,
        "last_day": days[-1].isoformat() if days else None,
        "events": rows,
        "staged_days": len(store.staged_days()),
    }
    if as_json:
        click.echo(msgspec.json.encode(info).decode())
        return
    for key, value in info.items():
        click.echo(f"{key:12} {value}")


@archive.command("rebuild")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
@friendly_errors
def archive_rebuild(ctx: click.Context, no_progress: bool) -> None:
    """Write every event still in the event log into the archive (for a log older than the archive).

    Events the archive already holds are not duplicated: compaction keeps one row per event_id.
    """
    from tastemaker.recommend.log_reader import read_log

    with Platform.open(config_from(ctx)) as platform:
        written = 0
        for batch in read_log(platform.event_log, progress=not no_progress):
            written += platform.archive.append(batch)
        _compact(platform.archive, rebucket=True, progress=not no_progress)
    click.echo(f"archived {written:,} events from the log")
