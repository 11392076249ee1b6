"""The ranker: one score per item from ALS, co-occurrence and popularity, then the top N.

``score = max(0, (1 − w) · als / max(als) + w · cooc / max(cooc)) · (1 + popularity) ** −β``

- Each source is divided by its best score for that user, so the blend weight ``w`` means the same
  for a user with a long history (large co-occurrence sums) as for a short one.
- ALS generalises along taste dimensions; co-occurrence is precise about "people who played this
  also played that". On Last.fm 2K the blend beats either alone (docs/recommendations.md).
- ``β`` discounts popular items: they are what every model over-recommends, and the listener has
  usually met them anyway. ``β = 0`` turns the discount off.
- Items in the user's history are never recommended, whether played (positive) or only skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from tastemaker.recommend.cooccurrence import history_weights
from tastemaker.recommend.params import BlendParams

Scores = npt.NDArray[np.float32]
MAX_DENSE_CELLS = 1 << 24  # a scoring batch holds at most this many users × items floats (64 MiB)


def popularity(matrix: sp.csr_matrix) -> npt.NDArray[np.float32]:
    """Per item, how many users have positive evidence for it."""
    counts = np.bincount(matrix.indices[matrix.data > 0], minlength=matrix.shape[1])
    return counts.astype(np.float32)


def _by_row_max(scores: Scores) -> Scores:
    best = scores.max(axis=1, keepdims=True)
    best[best <= 0] = 1.0
    scaled: Scores = scores / best
    return scaled


def batch_rows(items: int) -> int:
    """Users per scoring batch, so that a dense batch stays under ``MAX_DENSE_CELLS``."""
    return max(1, min(4096, MAX_DENSE_CELLS // max(1, items)))


@dataclass(frozen=True)
class Ranker:
    item_factors: npt.NDArray[np.float32]
    similarity: sp.csr_matrix
    item_popularity: npt.NDArray[np.float32]
    params: BlendParams

    def scores(self, user_vectors: npt.NDArray[np.float32], history: sp.csr_matrix) -> Scores:
        """Dense batch × items scores; ``history`` holds the batch's rows of net evidence."""
        als: Scores = user_vectors @ self.item_factors.T
        weight = self.params.cooccurrence_weight
        blended = (1.0 - weight) * _by_row_max(als)
        if weight > 0:
            votes = np.asarray((history_weights(history) @ self.similarity).todense(), dtype=np.float32)
            blended += weight * _by_row_max(votes)
        np.maximum(blended, 0.0, out=blended)
        if self.params.popularity_beta:
            blended *= (1.0 + self.item_popularity) ** -self.params.popularity_beta
        return blended

    def recommend(
        self, user_vectors: npt.NDArray[np.float32], history: sp.csr_matrix, n: int
    ) -> tuple[npt.NDArray[np.int64], Scores]:
        """The ``n`` best items per row that are not in the row's history, best first."""
        return top_n(self.scores(user_vectors, history), history, n)


def top_n(scores: Scores, history: sp.csr_matrix, n: int) -> tuple[npt.NDArray[np.int64], Scores]:
    """Best ``n`` columns per row (best first), leaving out the row's history; sorts only ``n``."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    rows, cols = history.nonzero()
    scores[rows, cols] = -np.inf
    n = min(n, scores.shape[1])
    if n <= 0:
        return np.zeros((scores.shape[0], 0), dtype=np.int64), np.zeros((scores.shape[0], 0), np.float32)
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    best = np.take_along_axis(part, order, axis=1).astype(np.int64)
    return best, np.take_along_axis(scores, best, axis=1)
