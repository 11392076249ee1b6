"""The Sort-Merge-Bucket layout of the archive: which bucket a key falls in, file names, metadata.json.

Modelled on scio-smb (the layout Spotify's Wrapped joins run on): each partition folder holds
``bucket-NNNNN-of-MMMMM.parquet`` files whose rows share ``murmur3_32(key) mod M`` and are sorted by
the sort fields, and a ``metadata.json`` that tells a reader the key, hash, bucket count and sort
order, so two data sets bucketed the same way can be joined bucket by bucket with no shuffle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

import mmh3
import msgspec
import numpy as np

from tastemaker.errors import ConfigError

LAYOUT_VERSION = 1
HASH_TYPE = "MURMUR3_32"
HASH_SEED = 0
BUCKET_FILE = re.compile(r"^bucket-(\d{5})-of-(\d{5})(?:-shard-(\d{5}))?\.parquet$")


class BucketMetadata(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=False):
    """What a reader must know to join this folder with another bucketed the same way."""

    version: int = LAYOUT_VERSION
    dataset: str
    key_field: str
    key_class: str = "string"
    hash_type: str = HASH_TYPE
    hash_seed: int = HASH_SEED
    num_buckets: int
    num_shards: int = 1
    sort_fields: list[str]
    filename_prefix: str = "bucket"
    filename_suffix: str = ".parquet"
    codec: str = "zstd"
    rows: int = 0
    written: dict[str, tuple[int, int]] = {}
    """Tastemaker's own: each file as compaction left it, name -> (size, mtime_ns). A file that still
    matches was checked as it was written; any other is verified page by page before a job reads it."""


def check_bucket_count(buckets: int) -> int:
    """Bucket counts are powers of two, so data sets of different sizes still join (bucket mod M)."""
    if buckets < 1 or buckets & (buckets - 1) or buckets > 65536:
        msg = f"archive bucket count must be a power of two between 1 and 65536, got {buckets}"
        raise ConfigError(msg)
    return buckets


def bucket_of(key: str, buckets: int) -> int:
    """``murmur3_32(utf-8 key, seed 0) mod buckets``: the same hash the event log partitions by."""
    return int(mmh3.hash(key.encode(), HASH_SEED, signed=False)) % buckets


def buckets_of(keys: Iterable[str], buckets: int) -> np.ndarray:
    """The bucket of every key, hashing each distinct key once (keys repeat: one user, many events)."""
    keys = list(keys)
    distinct = {k: bucket_of(k, buckets) for k in set(keys)}
    return np.fromiter((distinct[k] for k in keys), dtype=np.int32, count=len(keys))


class BucketFile(NamedTuple):
    bucket: int
    buckets: int
    shard: int


def bucket_file_name(bucket: int, buckets: int, shard: int = 0) -> str:
    """Shard 0 is the plain scio-smb name; a busy day's bucket gets more shards, each sorted on its
    own, until the day is sealed back into one file (see ``Archive`` on shards)."""
    suffix = f"-shard-{shard:05d}" if shard else ""
    return f"bucket-{bucket:05d}-of-{buckets:05d}{suffix}.parquet"


def parse_bucket_file(name: str) -> BucketFile | None:
    """(bucket, bucket count, shard) of a bucket file name, or None for any other file."""
    match = BUCKET_FILE.match(name)
    if match is None:
        return None
    return BucketFile(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
