"""Shards of a day's bucket: how a busy day is compacted in bounded time.

Rewriting a day's bucket file on every compaction costs time in proportion to the day so far, so on
a busy day each compaction took longer than the last and the archiver's lag climbed all day (the
soak benchmark showed it). Instead, new rows are merged into the bucket's *open* (highest) shard
only while it holds fewer than ``shard_rows`` rows; past that they start a new shard. Each shard is
sorted by (user_id, ts) on its own, which is all a reader needs (the engines merge a bucket's files,
as they do across days). When the day is left behind it is *sealed*: all shards merged back into
shard 0, the plain ``bucket-NNNNN-of-MMMMM.parquet``.

A seal replaces several files, which no rename does at once, so shard 0 written by a seal records
in its footer the highest shard it absorbed (``tastemaker.supersedes``); shards up to that number
left behind by a crash are ignored by readers and deleted by the next compaction.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tastemaker.storage.archive_layout import BucketFile, parse_bucket_file

SUPERSEDES = b"tastemaker.supersedes"


@dataclass(frozen=True)
class ShardFooter:
    """What a shard's Parquet footer tells without reading its rows."""

    rows: int
    first_ts: datetime | None
    last_ts: datetime | None
    supersedes: int


def read_footer(fs: fsspec.AbstractFileSystem, path: str) -> ShardFooter:
    """The footer of ``path``; raises ``pa.ArrowException``/``OSError`` for a damaged file."""
    with fs.open(path, "rb") as f:
        meta = pq.read_metadata(f)
    first: datetime | None = None
    last: datetime | None = None
    names = meta.schema.names
    if "ts" in names:
        column = names.index("ts")
        for group in range(meta.num_row_groups):
            stats = meta.row_group(group).column(column).statistics
            if stats is None or not stats.has_min_max:
                return ShardFooter(meta.num_rows, None, None, _supersedes(meta.metadata))
            first = stats.min if first is None else min(first, stats.min)
            last = stats.max if last is None else max(last, stats.max)
    return ShardFooter(meta.num_rows, first, last, _supersedes(meta.metadata))


def _supersedes(metadata: dict[bytes, bytes] | None) -> int:
    raw = (metadata or {}).get(SUPERSEDES, b"0")
    return int(raw) if raw.isdigit() else 0


def with_supersedes(table: pa.Table, shard: int) -> pa.Table:
    """``table`` with the seal marker set (``shard`` > 0) or cleared."""
    metadata = {k: v for k, v in (table.schema.metadata or {}).items() if k != SUPERSEDES}
    if shard > 0:
        metadata[SUPERSEDES] = str(shard).encode()
    return table.replace_schema_metadata(metadata or None)


def shards_by_bucket(paths: Iterable[str]) -> dict[int, list[tuple[BucketFile, str]]]:
    """A day folder's bucket files grouped by bucket, each bucket's shards in order."""
    found: dict[int, list[tuple[BucketFile, str]]] = {}
    for path in paths:
        parsed = parse_bucket_file(posixpath.basename(path))
        if parsed is not None:
            found.setdefault(parsed.bucket, []).append((parsed, path))
    for shards in found.values():
        shards.sort(key=lambda item: item[0].shard)
    return found


def split_superseded(
    shards: Sequence[tuple[BucketFile, str]], supersedes: int
) -> tuple[list[tuple[BucketFile, str]], list[str]]:
    """(live shards, leftovers of an interrupted seal) given shard 0's marker."""
    live = [item for item in shards if item[0].shard == 0 or item[0].shard > supersedes]
    leftovers = [path for parsed, path in shards if 0 < parsed.shard <= supersedes]
    return live, leftovers


def overlaps(footer: ShardFooter, rows: pa.Table) -> bool:
    """Whether ``rows`` may repeat events of the shard: their ts ranges meet (or are unknown)."""
    if footer.first_ts is None or footer.last_ts is None or rows.num_rows == 0:
        return True
    low, high = pc.min_max(rows.column("ts")).values()
    return not (high.as_py() < footer.first_ts or low.as_py() > footer.last_ts)


def without_ids(rows: pa.Table, ids: pa.ChunkedArray) -> pa.Table:
    """``rows`` less those whose event_id is in ``ids`` (a redelivered batch already compacted)."""
    if len(ids) == 0:
        return rows
    return rows.filter(pc.invert(pc.is_in(rows.column("event_id"), value_set=ids.combine_chunks())))
