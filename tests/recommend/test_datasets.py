"""The Last.fm 2K loader reads the files as GroupLens ships them; the hold-out split keeps its word."""

from __future__ import annotations

import numpy as np

from tastemaker.recommend.datasets import load_lastfm_2k
from tastemaker.recommend.evaluate import holdout_split, list_diversity, unit_rows
from tests.conftest import shared_data


def test_lastfm_2k_has_the_documented_size_and_tags() -> None:
    data = load_lastfm_2k(shared_data("hetrec2011_lastfm_2k"))
    matrix = data.interactions.matrix
    assert matrix.shape == (1892, 17632) and matrix.nnz == 92834
    assert matrix.data.min() >= 1  # play counts
    assert data.tags.shape[0] == 17632 and data.tags.nnz > 100_000
    split = holdout_split(matrix, per_user=5, min_items=10, seed=3)
    held = np.concatenate(list(split.held_out.values()))
    assert split.train.nnz == matrix.nnz - len(held) and all(len(v) == 5 for v in split.held_out.values())
    assert all(split.train[user, split.held_out[user]].nnz == 0 for user in list(split.held_out)[:50])
    again = holdout_split(matrix, per_user=5, min_items=10, seed=3)
    assert all(np.array_equal(again.held_out[u], split.held_out[u]) for u in split.held_out)
    unit = unit_rows(data.tags)
    tagged = np.flatnonzero(data.tags.getnnz(axis=1))[:10]
    diversity = list_diversity(tagged, unit)
    assert diversity is not None and 0.0 <= diversity <= 1.0
    assert list_diversity(tagged[:1], unit) is None
