"""Approximate nearest neighbours with Spotify's voyager (HNSW): item factors and audio vectors.

Two indexes, both labelled with the item's column in the model (so results map straight to
``item_ids``):

- ``items``: ALS item factors in inner-product space. A user vector as the query gives the items
  with the highest ALS score without scoring the whole catalogue (what a live DJ needs); an item
  vector gives its taste neighbours.
- ``audio``: the tracks' audio similarity vectors (``audio/similarity.py``, L2-normalised, 12-d) in
  cosine space: content neighbours, which also exist for a track nobody has played yet.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import voyager

from tastemaker.recommend.als import available_threads

SPACES = {"inner_product": voyager.Space.InnerProduct, "cosine": voyager.Space.Cosine}
M = 16  # graph degree: voyager's default; recall@50 ≈ 0.95 on 200k × 64-d (ARCHITECTURE.md)
EF_CONSTRUCTION = 200
QUERY_EF = 100


def build_index(
    vectors: npt.NDArray[np.float32],
    labels: npt.NDArray[np.int64],
    *,
    space: str,
    seed: int = 0,
    threads: int | None = None,
) -> voyager.Index:
    """An index of ``vectors`` (n × d), the i-th labelled ``labels[i]``."""
    if vectors.ndim != 2 or len(vectors) != len(labels):
        msg = f"vectors of shape {vectors.shape} and {len(labels)} labels: expected n × d and n labels"
        raise ValueError(msg)
    index = voyager.Index(
        SPACES[space],
        num_dimensions=int(vectors.shape[1]),
        M=M,
        ef_construction=EF_CONSTRUCTION,
        random_seed=seed,
        max_elements=max(1, len(vectors)),
    )
    if len(vectors):
        index.add_items(
            np.ascontiguousarray(vectors, dtype=np.float32),
            ids=[int(x) for x in labels],
            num_threads=threads or available_threads(),
        )
    return index


def nearest(
    index: voyager.Index, queries: npt.NDArray[np.float32], k: int, *, query_ef: int = QUERY_EF
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Per query row, the labels of the ``k`` nearest items and their distances (nearest first).

    ``k`` is capped at the index size; for inner product the distance is ``1 − dot``.
    """
    k = min(k, int(index.num_elements))
    if k <= 0:
        empty = np.zeros((len(queries), 0))
        return empty.astype(np.int64), empty.astype(np.float32)
    labels, distances = index.query(
        np.atleast_2d(np.asarray(queries, dtype=np.float32)), k=k, query_ef=max(query_ef, k)
    )
    return np.asarray(labels, dtype=np.int64), np.asarray(distances, dtype=np.float32)
