"""The archive: every event as Parquet in Sort-Merge-Bucket layout, for batch jobs such as Wrapped.

``events/date=YYYY-MM-DD/bucket-NNNNN-of-MMMMM.parquet`` hold one UTC day each, bucketed by
``murmur3_32(user_id) mod M`` and sorted by (user_id, ts), next to a ``metadata.json``. Writes are
two-step so that the consumer stays fast and crash-safe:

1. ``append`` writes the batch as one small *run* under ``events/_staging/date=…/`` (written to a
   temporary name, fsynced, renamed: durable before the archiver commits its offsets). A run's name
   is a hash of its event ids, so a batch delivered twice lands on the same file.
2. ``compact`` folds a day's runs into its bucket files: read, bucket, sort, drop repeated
   ``event_id``\\ s (a re-delivered batch that grew), write each bucket to a temporary name and rename,
   write ``metadata.json``, and only then delete the runs. A crash anywhere leaves either the runs or
   the buckets holding every event, and the next compaction removes the duplicates. On a busy day a
   bucket grows in shards of bounded size, sealed into one file when the day is left behind
   (``archive_shards``), so a compaction costs the same at midnight as at noon.

Every file is written with Parquet page checksums and read with them verified, so bytes damaged in
the middle of a file are caught as well as a cut-off footer.

Dimension tables (tracks, users, …) are exported bucketed the same way by their own key. Local
folders by default; any fsspec URL (``s3://``, ``gs://``, ``memory://``) at scale.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import posixpath
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import fsspec
import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from tastemaker.errors import BackendUnavailable, ConfigError
from tastemaker.events.schema import Event
from tastemaker.storage.archive_layout import (
    BucketFile,
    BucketMetadata,
    bucket_file_name,
    bucket_of,
    buckets_of,
    check_bucket_count,
    parse_bucket_file,
)
from tastemaker.storage.archive_shards import (
    ShardFooter,
    overlaps,
    read_footer,
    shards_by_bucket,
    split_superseded,
    with_supersedes,
    without_ids,
)

log = logging.getLogger(__name__)

EVENTS = "events"
DAMAGED_SUFFIX = ".damaged"
STAGING = "_staging"
EVENT_SORT = ["user_id", "ts", "event_id"]
EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("type", pa.string()),
        ("user_id", pa.string()),
        ("ts", pa.timestamp("ms", tz="UTC")),
        ("track_id", pa.string()),
        ("ms_played", pa.int64()),
        ("context", pa.string()),
        ("reason_end", pa.string()),
        ("payload", pa.string()),
    ]
)
"""Typed columns for the queries batch jobs run, and ``payload``, the whole event as the JSON the API
accepts, so the archive loses nothing (``extra`` included) and can rebuild any store."""

_encoder = msgspec.json.Encoder()


def events_table(events: Sequence[Event]) -> pa.Table:
    """The archive rows of ``events``, one column at a time (a pass per column is the fast way)."""
    payload = _encoder.encode_lines(events).split(b"\n")[:-1]  # JSON escapes newlines
    columns: list[list[Any]] = [
        [e.event_id for e in events],
        [e.__struct_config__.tag for e in events],
        [e.user_id for e in events],
        [e.ts for e in events],
        [getattr(e, "track_id", None) for e in events],
        [getattr(e, "ms_played", None) for e in events],
        [getattr(e, "context", None) for e in events],
        [getattr(e, "reason_end", None) for e in events],
        payload,
    ]
    arrays = [pa.array(c, type=f.type) for c, f in zip(columns, EVENT_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)


def bucketed_slices(
    table: pa.Table, key: str, sort: Sequence[str], buckets: int
) -> Iterable[tuple[int, pa.Table]]:
    """``table`` split into its non-empty buckets of ``key``, each sorted by ``sort``."""
    if table.num_rows == 0:
        return
    bucket = buckets_of(table.column(key).to_pylist(), buckets)
    table = table.append_column("__bucket", pa.array(bucket))
    table = table.sort_by([("__bucket", "ascending"), *[(f, "ascending") for f in sort]])
    ordered = table.column("__bucket").to_numpy()
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(ordered)]
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        yield int(ordered[start]), table.slice(start, end - start).drop_columns(["__bucket"])


def drop_repeated(table: pa.Table, column: str) -> pa.Table:
    """Rows whose ``column`` equals the previous row's are dropped (the table is sorted so repeats meet)."""
    values = table.column(column)
    if len(values) < 2:
        return table
    repeated = pc.equal(values.slice(1), values.slice(0, len(values) - 1)).combine_chunks()
    keep = pc.invert(pc.fill_null(repeated, False))
    return table.filter(pa.concat_arrays([pa.array([True]), keep]))


class DamagedFile(BackendUnavailable):
    """A Parquet file of the archive that cannot be read (truncated, overwritten, not Parquet)."""

    def __init__(self, path: str, exc: BaseException) -> None:
        super().__init__(
            f"archive file {path} is damaged ({type(exc).__name__}: {exc}); restore it from a backup, "
            "or delete it and run `tastemaker archive rebuild` to write again the events the log still holds"
        )
        self.path = path


class Archive:
    """One archive folder (or object-store prefix).

    A damaged file is not allowed to take the rest down: listing for a job checks each bucket file's
    Parquet footer (cheap: the last bytes), and reads whole, page checksums verified, any file not as
    compaction recorded it; it leaves out, logs and records in ``damaged`` any that fail, so Wrapped
    and the engines serve every other file. Compaction moves a damaged bucket file aside
    (``*.damaged``) instead of failing the day forever.
    """

    def __init__(
        self, url: str, *, buckets: int = 16, compact_runs: int = 32, shard_rows: int = 32_768
    ) -> None:
        self.url = url
        self.buckets = check_bucket_count(buckets)
        self.compact_runs = compact_runs
        if shard_rows < 1:
            msg = f"archive_shard_rows must be at least 1, got {shard_rows}"
            raise ConfigError(msg)
        self.shard_rows = shard_rows
        self.fs: fsspec.AbstractFileSystem
        self.fs, self.root = fsspec.core.url_to_fs(url)
        self.local = isinstance(self.fs, LocalFileSystem)
        self._staged: dict[date, int] | None = None
        self._sharded: set[date] | None = None
        self.damaged: dict[str, str] = {}
        """Files left out because they could not be read: path -> the error (what a job reports)."""
        self._checked: dict[str, tuple[int, int]] = {}
        self._fresh: dict[str, tuple[int, int]] = {}
        """Bucket files this process wrote whose folder's metadata.json does not list them yet."""

    # --- paths -----------------------------------------------------------------------------------
    def path(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts)

    def uri(self, path: str) -> str:
        """A path as a URL other engines (DuckDB, Spark) can open."""
        return path if self.local else self.fs.unstrip_protocol(path)

    def day_dir(self, day: date, *, staging: bool = False) -> str:
        folder = f"date={day.isoformat()}"
        return self.path(EVENTS, STAGING, folder) if staging else self.path(EVENTS, folder)

    # --- writing ---------------------------------------------------------------------------------
    def append(self, events: Sequence[Event]) -> int:
        """Write ``events`` durably as staged runs, one per UTC day they fall on; returns rows written."""
        if not events:
            return 0
        by_day: dict[date, list[Event]] = {}
        for event in events:
            by_day.setdefault(event.ts.date(), []).append(event)
        staged = self._staged_counts()
        for day, day_events in by_day.items():
            digest = hashlib.sha1(b"\0".join(e.event_id.encode() for e in day_events)).hexdigest()[:20]
            path = posixpath.join(self.day_dir(day, staging=True), f"run-{digest}.parquet")
            self._write_table(events_table(day_events), path)
            staged[day] = staged.get(day, 0) + 1
        return len(events)

    def days_due(self, *, latest: date | None = None) -> list[date]:
        """Days whose runs should be compacted now: many runs, or a day the stream has left behind."""
        staged = self._staged_counts()
        newest = latest or max(staged, default=None)
        due = {
            d
            for d, n in staged.items()
            if n >= self.compact_runs or (newest is not None and (newest - d).days >= 2)
        }
        return sorted(due | self._seals_due(newest))

    def _seals_due(self, newest: date | None) -> set[date]:
        """Days still in shards that the stream has left two days behind."""
        if newest is None:
            return set()
        if self._sharded is None:
            self._sharded = {d for d in self.days() if self.metadata(self.day_dir(d)).num_shards > 1}
        return {d for d in self._sharded if (newest - d).days >= 2}

    def compact(
        self,
        days: Iterable[date] | None = None,
        *,
        rebucket: bool = False,
        seal: bool = False,
        on_day: Callable[[date], None] | None = None,
    ) -> int:
        """Fold staged runs into the days' bucket files (all days with runs by default; with
        ``rebucket`` also every day bucketed with another count; with ``seal`` also every day still
        in shards); returns days done. A day two or more days behind the newest is sealed."""
        todo = self.days_to_compact(days, rebucket=rebucket, seal=seal)
        if not todo:
            return 0
        newest = max([*self.staged_days(), *todo, *self.days()])  # the stream's front
        with self._compaction_lock():
            for day in sorted(todo):
                self._compact_day(day, seal=seal or (newest - day).days >= 2)
                if on_day is not None:
                    on_day(day)
        return len(todo)

    def days_to_compact(
        self, days: Iterable[date] | None = None, *, rebucket: bool = False, seal: bool = False
    ) -> set[date]:
        """The days ``compact`` with the same arguments would work on."""
        todo = set(self.staged_days() if days is None else days)
        if days is None:
            todo |= self._seals_due(max(todo, default=None))
        if rebucket or seal:
            for day in self.days():
                meta = self.metadata(self.day_dir(day))
                if (rebucket and meta.num_buckets != self.buckets) or (seal and meta.num_shards > 1):
                    todo.add(day)
        return todo

    @contextlib.contextmanager
    def _compaction_lock(self) -> Iterator[None]:
        """One compaction at a time per local archive (the server's archiver and a CLI job may both
        compact; two at once could each rewrite a bucket without the other's runs). Object stores
        have no such lock: there, run one archiver and let jobs compact only when it is stopped."""
        if not self.local:
            yield
            return
        self.fs.makedirs(self.root, exist_ok=True)
        with Path(self.root, ".compaction.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self._staged = None  # another process may have compacted while we waited
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _compact_day(self, day: date, *, seal: bool = False) -> None:
        """Merge a day's staged runs into its bucket files.

        One bucket at a time: the runs (at most ``compact_runs`` consumer batches) are split by
        bucket, and each slice is merged into its bucket's open shard, so memory holds the runs plus
        one shard and the time spent does not grow with the day (a soak at 5,300 events/s showed
        whole-day merges climbing past 5 GiB, and later bucket-sized ones still slowing all day). A
        day whose files use another bucket count (``rebucket``) is re-split whole, as it must be.
        """
        runs = self._list(self.day_dir(day, staging=True), suffix=".parquet")
        old = self._list(self.day_dir(day), suffix=".parquet")
        staged = [self._read_table(p) for p in runs]
        by_bucket = shards_by_bucket(old)
        if all(parsed.buckets == self.buckets for shards in by_bucket.values() for parsed, _ in shards):
            self._merge_by_bucket(day, staged, by_bucket, seal=seal)
        else:
            self._resplit_day(day, staged, [path for shards in by_bucket.values() for _, path in shards])
        for path in runs:
            self.fs.rm(path)
        if self._staged is not None:
            self._staged.pop(day, None)

    def _merge_by_bucket(
        self,
        day: date,
        staged: list[pa.Table],
        by_bucket: dict[int, list[tuple[BucketFile, str]]],
        *,
        seal: bool,
    ) -> None:
        folder = self.day_dir(day)
        new_rows: dict[int, pa.Table] = {}
        if staged:
            runs = pa.concat_tables(staged, promote_options="permissive")
            new_rows = dict(bucketed_slices(runs, "user_id", EVENT_SORT, self.buckets))
        if not new_rows and not by_bucket:
            return
        total = 0
        most_shards = 1
        for bucket in sorted(set(by_bucket) | set(new_rows)):
            shards = self._live_shards(by_bucket.get(bucket, []), remove_leftovers=True)
            rows = new_rows.get(bucket)
            if seal and (len(shards) > 1 or (rows is not None and shards)):
                total += self._seal_bucket(folder, bucket, shards, rows)
                continue
            if rows is None:
                total += sum(self._footer_rows(path) for _, path in shards)  # untouched: footers suffice
                most_shards = max(most_shards, len(shards))
                continue
            rows = drop_repeated(rows, "event_id")
            written = self._add_to_bucket(folder, bucket, shards, rows)
            total += sum(self._footer_rows(path) for _, path in written)
            most_shards = max(most_shards, len(written))
        self._write_metadata(folder, EVENTS, "user_id", EVENT_SORT, total, shards=most_shards)
        if self._sharded is not None:
            (self._sharded.add if most_shards > 1 else self._sharded.discard)(day)

    def _add_to_bucket(
        self, folder: str, bucket: int, shards: list[tuple[BucketFile, str]], rows: pa.Table
    ) -> list[tuple[BucketFile, str]]:
        """Merge ``rows`` into the open shard until it holds ``shard_rows``, then start a new one; events
        already compacted (a batch redelivered after a crash) are dropped first. Returns the
        bucket's shards afterwards."""
        for _, path in shards[:-1]:
            rows = self._without_events_of(path, rows)
        if not shards:
            path = posixpath.join(folder, bucket_file_name(bucket, self.buckets))
            self._write_table(rows, path)
            return [(BucketFile(bucket, self.buckets, 0), path)]
        open_file, open_path = shards[-1]
        footer = self._footer(open_path)
        if footer is not None and footer.rows >= self.shard_rows:
            rows = self._without_events_of(open_path, rows, footer)
            if rows.num_rows == 0:
                return shards
            number = max(open_file.shard, footer.supersedes if open_file.shard == 0 else 0) + 1
            path = posixpath.join(folder, bucket_file_name(bucket, self.buckets, number))
            self._write_table(rows, path)
            return [*shards, (BucketFile(bucket, self.buckets, number), path)]
        previous = self._read_or_set_aside(open_path)
        merged = _merged([t for t in (previous, rows) if t is not None])
        marker = footer.supersedes if footer is not None and open_file.shard == 0 else 0
        self._write_table(with_supersedes(merged, marker), open_path)
        return shards

    def _seal_bucket(
        self, folder: str, bucket: int, shards: list[tuple[BucketFile, str]], rows: pa.Table | None
    ) -> int:
        """All of a bucket's shards (and new rows) into shard 0, which records the highest shard it
        absorbed before the others are deleted; returns the rows it holds."""
        tables = [t for t in map(self._read_or_set_aside, (path for _, path in shards)) if t is not None]
        merged = _merged([*tables, *([rows] if rows is not None else [])])
        highest = max(parsed.shard for parsed, _ in shards)
        path = posixpath.join(folder, bucket_file_name(bucket, self.buckets))
        self._write_table(with_supersedes(merged, highest), path)
        for parsed, other in shards:
            if parsed.shard > 0 and self.fs.exists(other):
                self.fs.rm(other)
        return int(merged.num_rows)

    def _live_shards(
        self, shards: list[tuple[BucketFile, str]], *, remove_leftovers: bool = False
    ) -> list[tuple[BucketFile, str]]:
        """A bucket's shards less those an interrupted seal already merged into shard 0."""
        if len(shards) < 2 or shards[0][0].shard != 0:
            return shards
        footer = self._footer(shards[0][1])
        live, leftovers = split_superseded(shards, footer.supersedes if footer else 0)
        if remove_leftovers:
            for path in leftovers:
                self.fs.rm(path)
        return live

    def _footer(self, path: str) -> ShardFooter | None:
        """A shard's footer, or None for a damaged file (which the reading code sets aside)."""
        try:
            return read_footer(self.fs, path)
        except (pa.ArrowException, OSError):
            return None

    def _without_events_of(self, path: str, rows: pa.Table, footer: ShardFooter | None = None) -> pa.Table:
        """``rows`` less the events ``path`` already holds; the file is read only when the time
        ranges meet, which in a live stream is rarely more than the shard just closed."""
        footer = footer or self._footer(path)
        if footer is None or not overlaps(footer, rows):
            return rows
        try:
            with self.fs.open(path, "rb") as f:
                ids = pq.read_table(f, columns=["event_id"], page_checksum_verification=True)
        except (pa.ArrowException, OSError):
            return rows
        return without_ids(rows, ids.column("event_id"))

    def _resplit_day(self, day: date, staged: list[pa.Table], old: list[str]) -> None:
        tables = [table for table in map(self._read_or_set_aside, old) if table is not None]
        old = [p for p in old if self.fs.exists(p)]
        tables += staged
        if not tables:
            return
        table = pa.concat_tables(tables, promote_options="permissive")
        written: set[str] = set()
        rows_written = 0
        for bucket, rows in bucketed_slices(table, "user_id", EVENT_SORT, self.buckets):
            path = posixpath.join(self.day_dir(day), bucket_file_name(bucket, self.buckets))
            unique = drop_repeated(rows, "event_id")
            self._write_table(unique, path)
            written.add(path)
            rows_written += len(unique)
        self._write_metadata(self.day_dir(day), EVENTS, "user_id", EVENT_SORT, rows_written)
        if self._sharded is not None:
            self._sharded.discard(day)
        for path in old:  # files of another bucket count (and their shards), from before a change of M
            if path not in written:
                self.fs.rm(path)

    def write_dimension(self, name: str, table: pa.Table, key: str) -> int:
        """Replace dimension ``name`` (tracks, users, …) with ``table``, bucketed by ``key``."""
        folder = self.path("dimensions", name)
        old = set(self._list(folder, suffix=".parquet"))
        written = set()
        for bucket, rows in bucketed_slices(table, key, [key], self.buckets):
            path = posixpath.join(folder, bucket_file_name(bucket, self.buckets))
            self._write_table(rows, path)
            written.add(path)
        self._write_metadata(folder, name, key, [key], len(table))
        for path in old - written:
            self.fs.rm(path)
        return len(table)

    def verify(
        self, *, everything: bool = False, on_day: Callable[[date], None] | None = None
    ) -> dict[str, str]:
        """Read every day's bucket files that metadata.json does not record as written, with their
        page checksums verified, and record the good ones, so jobs trust them without reading them
        first (an archive from before the record existed, files restored from a backup); a recorded
        file costs a stat. ``everything`` reads recorded files too, to find bytes rotted in place.
        Returns the damaged: path -> why."""
        found: dict[str, str] = {}
        with self._compaction_lock():
            for day in self.days():
                folder = self.day_dir(day)
                if not self.fs.exists(posixpath.join(folder, "metadata.json")):
                    continue  # a first compaction cut short: the next one writes it, and the record
                written = self._manifest(folder)
                checked = 0
                for path in self._list(folder, suffix=".parquet"):
                    if parse_bucket_file(posixpath.basename(path)) is None:
                        continue
                    stamp = self._stamp(path)
                    if not everything and written.get(posixpath.basename(path)) == stamp:
                        continue
                    checked += 1
                    try:
                        self._read_table(path)
                    except DamagedFile as exc:
                        found[path] = self.damaged[path] = str(exc)
                        continue
                    self._fresh[path] = stamp
                if on_day is not None:
                    on_day(day)
                if not checked:
                    continue  # every file as recorded: nothing to write
                meta = self.metadata(folder)
                self._write_metadata(
                    folder,
                    meta.dataset,
                    meta.key_field,
                    meta.sort_fields,
                    meta.rows,
                    shards=meta.num_shards,
                    untrusted=[p for p in found if posixpath.dirname(p) == folder],
                )
        return found

    # --- forgetting a listener (privacy/forget.py) -------------------------------------------------
    def forget_user(self, user_id: str) -> int:
        """Rewrite every Parquet file holding rows of ``user_id`` without them; returns rows removed.

        Bucket files (events and dimensions) are read only for the user's bucket; staged runs and
        job files are not bucketed, so each is checked (its ``user_id`` column only). Each file is
        replaced atomically (temporary name, fsync, rename), or deleted when nothing else was in it,
        and the folder's ``metadata.json`` row count is rewritten. It holds the compaction lock, so
        a compaction cannot rewrite a bucket from a copy read before the forget; a crash half-way
        leaves every file either old or new, and running it again finishes the job.
        """
        removed = 0
        with self._compaction_lock():
            for folder, paths in self._parquet_files_by_folder().items():
                gone = 0
                for path in paths:
                    parsed = parse_bucket_file(posixpath.basename(path))
                    if parsed is not None and parsed[0] != bucket_of(user_id, parsed[1]):
                        continue
                    gone += self._drop_rows_of(path, user_id)
                if gone and self.fs.exists(posixpath.join(folder, "metadata.json")):
                    meta = self.metadata(folder)
                    self._write_metadata(
                        folder, meta.dataset, meta.key_field, meta.sort_fields, max(meta.rows - gone, 0)
                    )
                removed += gone
            self._staged = None
        return removed

    def _parquet_files_by_folder(self) -> dict[str, list[str]]:
        if not self.fs.exists(self.root):
            return {}
        found: dict[str, list[str]] = {}
        for path in sorted(str(p) for p in self.fs.find(self.root)):
            if path.endswith(".parquet"):
                found.setdefault(posixpath.dirname(path), []).append(path)
        return found

    def _drop_rows_of(self, path: str, user_id: str) -> int:
        with self.fs.open(path, "rb") as f:
            if "user_id" not in pq.read_schema(f).names:
                return 0
        table = self._read_table(path)
        keep = pc.fill_null(pc.not_equal(table.column("user_id"), user_id), True)
        kept = table.filter(keep)
        gone = int(table.num_rows - kept.num_rows)
        if gone == 0:
            return 0
        if kept.num_rows == 0:
            self.fs.rm(path)
        else:
            self._write_table(kept, path)
        return gone

    # --- reading ---------------------------------------------------------------------------------
    def days(self) -> list[date]:
        """Days with compacted bucket files."""
        return sorted(d for d in (_day_of(p) for p in self._list(self.path(EVENTS))) if d is not None)

    def staged_days(self) -> list[date]:
        return sorted(self._staged_counts())

    def metadata(self, folder: str) -> BucketMetadata:
        with self.fs.open(posixpath.join(folder, "metadata.json"), "rb") as f:
            return msgspec.json.decode(f.read(), type=BucketMetadata)

    def event_files_by_bucket(self, start: date, end: date) -> dict[int, list[str]]:
        """The bucket files of the days in [start, end), by bucket, as URLs engines can open.

        Every day must be bucketed with the archive's bucket count (a day written before a change of
        the count is re-bucketed by ``compact(rebucket=True)``), so bucket b of every day holds the
        same users and a job can read bucket by bucket.
        """
        found: dict[int, list[str]] = {}
        for day in self.days():
            if not start <= day < end:
                continue
            by_bucket = shards_by_bucket(self._list(self.day_dir(day), suffix=".parquet"))
            written = self._manifest(self.day_dir(day))
            for bucket, shards in sorted(by_bucket.items()):
                for parsed, path in self._live_shards(shards):
                    if parsed.buckets != self.buckets:
                        msg = (
                            f"{self.day_dir(day)} has {parsed.buckets} buckets, the archive {self.buckets}: "
                            "run `tastemaker archive compact --rebucket` first"
                        )
                        raise ConfigError(msg)
                    if self._usable(path, written):
                        found.setdefault(bucket, []).append(self.uri(path))
        return found

    def dimension_files(self, name: str) -> list[str]:
        return [self.uri(p) for p in self._list(self.path("dimensions", name), suffix=".parquet")]

    def read_events(self, start: date, end: date) -> pa.Table:
        """Every archived event of [start, end) (tests and small jobs; batch jobs go bucket by bucket)."""
        files = [p for paths in self.event_files_by_bucket(start, end).values() for p in paths]
        tables = [self._read_table(p if self.local else self.fs._strip_protocol(p)) for p in files]
        return pa.concat_tables(tables) if tables else EVENT_SCHEMA.empty_table()

    def dimension_rows(self, name: str) -> int:
        """Rows of dimension ``name`` (0 when it was never exported)."""
        folder = self.path("dimensions", name)
        return self.metadata(folder).rows if self.fs.exists(posixpath.join(folder, "metadata.json")) else 0

    # --- job files (stage outputs of batch jobs, relative to the archive root) ---------------------
    def exists(self, relative: str) -> bool:
        return bool(self.fs.exists(self.path(relative)))

    def write_file(self, relative: str, table: pa.Table) -> None:
        self._write_table(table, self.path(relative))

    def read_file(self, relative: str) -> pa.Table:
        return self._read_table(self.path(relative))

    def write_bytes(self, relative: str, data: bytes) -> None:
        self._write_bytes(self.path(relative), lambda f: f.write(data))

    def read_bytes(self, relative: str) -> bytes:
        with self.fs.open(self.path(relative), "rb") as f:
            return bytes(f.read())

    def remove_tree(self, relative: str) -> None:
        if self.fs.exists(self.path(relative)):
            self.fs.rm(self.path(relative), recursive=True)

    # --- file system -----------------------------------------------------------------------------
    def _staged_counts(self) -> dict[date, int]:
        if self._staged is None:
            self._staged = {}
            for folder in self._list(self.path(EVENTS, STAGING)):
                day = _day_of(folder)
                runs = len(self._list(folder, suffix=".parquet"))
                if day is not None and runs:
                    self._staged[day] = runs
        return self._staged

    def _list(self, folder: str, *, suffix: str = "") -> list[str]:
        try:
            names = self.fs.ls(folder, detail=False)
        except FileNotFoundError:
            return []
        return sorted(str(n) for n in names if str(n).endswith(suffix))

    def _read_table(self, path: str) -> pa.Table:
        try:
            with self.fs.open(path, "rb") as f:
                return pq.read_table(f, page_checksum_verification=True)
        except (pa.ArrowException, OSError) as exc:
            if isinstance(exc, FileNotFoundError | PermissionError):
                raise
            raise DamagedFile(path, exc) from exc

    def _usable(self, path: str, written: dict[str, tuple[int, int]] | None = None) -> bool:
        """Whether a job may read ``path``; a damaged file is logged and recorded, not raised.

        The footer must read. A file still as compaction wrote it (size and mtime as ``written``, the
        folder's metadata.json, records) is trusted past that; any other — changed since, or never
        recorded because a crash came first — is read whole with its page checksums verified, since
        the engines' own readers (DuckDB's) verify none. Checked once per (size, mtime) in this process.
        """
        try:
            stamp = self._stamp(path)
            if self._checked.get(path) == stamp:
                return True
            with self.fs.open(path, "rb") as f:
                pq.read_metadata(f)
            if written is not None and written.get(posixpath.basename(path)) != stamp:
                self._read_table(path)
        except (pa.ArrowException, OSError, DamagedFile) as exc:
            if isinstance(exc, FileNotFoundError):
                return False
            error = exc if isinstance(exc, DamagedFile) else DamagedFile(path, exc)
            self.damaged[path] = str(error)
            log.error("%s; it is left out", error)
            return False
        self._checked[path] = stamp
        return True

    def _stamp(self, path: str) -> tuple[int, int]:
        """(size, mtime_ns) of a local file; (size, 0) in an object store, whose objects change only
        by being written anew."""
        if self.local:
            st = Path(path).stat()
            return (st.st_size, st.st_mtime_ns)
        return (int(self.fs.size(path)), 0)

    def _manifest(self, folder: str) -> dict[str, tuple[int, int]]:
        """The files metadata.json records as written (none when it is missing or older)."""
        try:
            return {name: (int(v[0]), int(v[1])) for name, v in self.metadata(folder).written.items()}
        except (FileNotFoundError, msgspec.DecodeError):
            return {}

    def _footer_rows(self, path: str) -> int:
        """The row count in a Parquet file's footer (0 for a damaged file, which listings leave out)."""
        if not self._usable(path):
            return 0
        with self.fs.open(path, "rb") as f:
            rows: int = pq.read_metadata(f).num_rows
        return rows

    def _read_or_set_aside(self, path: str) -> pa.Table | None:
        """Compaction's read of a day's bucket file: a damaged one is renamed ``*.damaged`` (kept for
        forensics, out of every listing) so the day's new runs can still be compacted."""
        try:
            return self._read_table(path)
        except DamagedFile as exc:
            self.damaged[path] = str(exc)
            self.fs.mv(path, path + DAMAGED_SUFFIX)
            log.error("%s; moved aside to %s%s", exc, path, DAMAGED_SUFFIX)
            return None

    def _write_table(self, table: pa.Table, path: str) -> None:
        self._write_bytes(
            path, lambda f: pq.write_table(table, f, compression="zstd", write_page_checksum=True)
        )
        if parse_bucket_file(posixpath.basename(path)) is not None:
            self._fresh[path] = self._stamp(path)  # recorded by the folder's next metadata.json

    def _write_metadata(
        self,
        folder: str,
        dataset: str,
        key: str,
        sort: list[str],
        rows: int,
        *,
        shards: int = 1,
        untrusted: Iterable[str] = (),
    ) -> None:
        present = {posixpath.basename(p) for p in self._list(folder, suffix=".parquet")}
        present -= {posixpath.basename(p) for p in untrusted}
        written = {name: v for name, v in self._manifest(folder).items() if name in present}
        for path in [p for p in self._fresh if posixpath.dirname(p) == folder]:
            stamp = self._fresh.pop(path)
            if posixpath.basename(path) in present:
                written[posixpath.basename(path)] = stamp
        meta = BucketMetadata(
            dataset=dataset,
            key_field=key,
            num_buckets=self.buckets,
            num_shards=shards,
            sort_fields=sort,
            rows=rows,
            written=written,
        )
        data = msgspec.json.format(msgspec.json.encode(meta), indent=2)
        self._write_bytes(posixpath.join(folder, "metadata.json"), lambda f: f.write(data))

    def _write_bytes(self, path: str, write: Callable[[Any], object]) -> None:
        """Write to a temporary name, make it durable, and rename into place (atomic on a local disk)."""
        temporary = f"{path}.{os.getpid()}.tmp"
        try:
            self.fs.makedirs(posixpath.dirname(path), exist_ok=True)
            if self.local:
                with open(temporary, "wb") as f:
                    write(f)
                    f.flush()
                    os.fsync(f.fileno())
                Path(temporary).replace(path)
            else:
                with self.fs.open(temporary, "wb") as f:
                    write(f)
                self.fs.mv(temporary, path)
        except OSError as exc:
            msg = f"cannot write the archive at {self.url}: {exc}"
            raise BackendUnavailable(msg) from exc


def _merged(tables: list[pa.Table]) -> pa.Table:
    """``tables`` as one, sorted, each event once."""
    merged = pa.concat_tables(tables, promote_options="permissive")
    return drop_repeated(merged.sort_by([(f, "ascending") for f in EVENT_SORT]), "event_id")


def _day_of(folder: str) -> date | None:
    name = posixpath.basename(folder.rstrip("/"))
    if not name.startswith("date="):
        return None
    try:
        return date.fromisoformat(name[5:])
    except ValueError:
        return None
