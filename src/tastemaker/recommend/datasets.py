"""Loaders for the public data sets the offline evaluation uses (files as GroupLens ships them).

HetRec 2011 Last.fm 2K (``hetrec2011_lastfm_2k``): 1,892 users, 17,632 artists, 92,834 user–artist
play counts, plus the tags users put on artists (which the benchmark uses for intra-list diversity).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tastemaker.recommend.interactions import Interactions, from_triples


@dataclass(frozen=True)
class LastFm2K:
    """``interactions``: users × artists with raw play counts as evidence, each user one basket.
    ``tags``: artists × tags, how many users put each tag on each artist (same artist order)."""

    interactions: Interactions
    tags: sp.csr_matrix


def _columns(path: Path, count: int, *, encoding: str = "utf-8") -> list[list[str]]:
    """The first ``count`` tab-separated columns of a gzipped table with a header line."""
    columns: list[list[str]] = [[] for _ in range(count)]
    with gzip.open(path, "rt", encoding=encoding) as lines:
        next(lines)
        for line in lines:
            fields = line.rstrip("\n").split("\t")
            for column, value in zip(columns, fields[:count], strict=True):
                column.append(value)
    return columns


def load_lastfm_2k(folder: Path) -> LastFm2K:
    """Read ``user_artists.dat.gz`` (userID, artistID, weight) and ``user_taggedartists.dat.gz``.

    Raises ``FileNotFoundError`` naming the file when the folder lacks one.
    """
    users, artists, weights = _columns(folder / "user_artists.dat.gz", 3)
    interactions = from_triples(users, artists, np.asarray(weights, dtype=np.float64))
    column = interactions.item_index()
    tag_rows, tag_cols = [], []
    tag_index: dict[str, int] = {}
    _users, tagged, tag_ids = _columns(folder / "user_taggedartists.dat.gz", 3, encoding="latin-1")
    for artist, tag in zip(tagged, tag_ids, strict=True):
        col = column.get(artist)
        if col is not None:
            tag_rows.append(col)
            tag_cols.append(tag_index.setdefault(tag, len(tag_index)))
    shape = (interactions.items, max(1, len(tag_index)))
    ones = np.ones(len(tag_rows), dtype=np.float32)
    tags = sp.coo_matrix((ones, (tag_rows, tag_cols)), shape=shape).tocsr()
    tags.sum_duplicates()
    return LastFm2K(interactions=interactions, tags=tags)
