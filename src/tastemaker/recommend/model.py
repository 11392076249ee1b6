"""A trained model in memory: ids, factors, history, co-occurrence, popularity and the ANN indexes.

``recommend`` serves one user: a known user by their row, a user with a history the model has not
seen by folding that history into the factor space (``als.fold_in``), and a user with no history at
all by popularity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import voyager

from tastemaker.recommend.als import Factors, fold_in
from tastemaker.recommend.interactions import confidence
from tastemaker.recommend.params import BlendParams
from tastemaker.recommend.ranker import Ranker, batch_rows, top_n


@dataclass(frozen=True)
class Recommendation:
    item_id: str
    score: float


@dataclass
class Model:
    user_ids: list[str]
    item_ids: list[str]
    factors: Factors
    history: sp.csr_matrix
    """users × items net evidence the model was trained on (``interactions.Interactions.matrix``)."""
    similarity: sp.csr_matrix
    item_popularity: npt.NDArray[np.float32]
    blend: BlendParams
    confidence_alpha: float
    item_index: voyager.Index
    audio_index: voyager.Index | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def user_rows(self) -> dict[str, int]:
        return {user: row for row, user in enumerate(self.user_ids)}

    @cached_property
    def item_columns(self) -> dict[str, int]:
        return {item: col for col, item in enumerate(self.item_ids)}

    @property
    def version(self) -> int:
        return int(self.manifest.get("version", 0))

    def ranker(self) -> Ranker:
        return Ranker(self.factors.items, self.similarity, self.item_popularity, self.blend)

    def recommend(
        self, user_id: str, n: int = 10, *, history: Mapping[str, float] | None = None
    ) -> list[Recommendation]:
        """The ``n`` best new items for a user, best first.

        ``history`` (item id → net evidence, as in ``interactions``) replaces the trained history,
        for a user who is new or has listened since the model was trained.
        """
        if history is None and user_id in self.user_rows:
            row = self.user_rows[user_id]
            vector = self.factors.users[row : row + 1]
            seen = self.history[row]
        else:
            seen = self._history_row(history or {})
            if seen.nnz == 0:
                return self.popular(n)
            conf = confidence(seen, alpha=self.confidence_alpha)
            vector = fold_in(self.factors, conf.indices.astype(np.int64), conf.data)[None, :]
        items, scores = self.ranker().recommend(vector, seen, n)
        return self._named(items[0], scores[0])

    def recommend_many(self, user_ids: list[str], n: int) -> dict[str, list[Recommendation]]:
        """``recommend`` for many users the model knows, scored as one matrix product: per-user
        scoring was most of `tastemaker weekly`'s time. Unknown users are left out of the result."""
        known = [user for user in user_ids if user in self.user_rows]
        if not known:
            return {}
        ranker, result = self.ranker(), {}
        step = batch_rows(len(self.item_ids))  # a dense batch × items block stays under 64 MiB
        for start in range(0, len(known), step):
            batch = known[start : start + step]
            rows = np.array([self.user_rows[user] for user in batch], dtype=np.int64)
            items, scores = ranker.recommend(self.factors.users[rows], self.history[rows], n)
            for index, user in enumerate(batch):
                result[user] = self._named(items[index], scores[index])
        return result

    def _named(self, items: npt.NDArray[np.int64], scores: npt.NDArray[np.float32]) -> list[Recommendation]:
        """Item columns and scores as recommendations, leaving out the ``-inf`` of excluded items."""
        return [
            Recommendation(self.item_ids[i], float(s))
            for i, s in zip(items, scores, strict=True)
            if np.isfinite(s)
        ]

    def popular(self, n: int, *, exclude: sp.csr_matrix | None = None) -> list[Recommendation]:
        seen = exclude if exclude is not None else sp.csr_matrix((1, len(self.item_ids)), dtype=np.float32)
        items, scores = top_n(self.item_popularity[None, :], seen, n)
        return [Recommendation(self.item_ids[i], float(s)) for i, s in zip(items[0], scores[0], strict=True)]

    def _history_row(self, history: Mapping[str, float]) -> sp.csr_matrix:
        columns = self.item_columns
        pairs = [(columns[item], value) for item, value in history.items() if item in columns]
        cols = np.array([c for c, _ in pairs], dtype=np.int64)
        values = np.array([v for _, v in pairs], dtype=np.float32)
        zeros = np.zeros(len(cols), dtype=np.int64)
        row = sp.csr_matrix((values, (zeros, cols)), shape=(1, len(self.item_ids)))
        row.eliminate_zeros()
        return row
