"""Offline evaluation: a random hold-out per user, and the metrics the issue names.

Protocol (the usual one for Last.fm 2K): each user with at least ``min_items`` positive items gives
up ``per_user`` of them, drawn at random with a fixed seed; models train on the rest and rank every
item not in the user's training history. Tuning carves a *validation* hold-out out of the training
part the same way, so the test hold-out is never looked at until the final run.

Metrics, over the users with a hold-out:
- recall@K: held-out items in the top K, divided by the number held out;
- NDCG@K: binary-relevance DCG of the top K over the ideal DCG (all held-out items first);
- coverage@K: distinct items in anyone's top K, as a share of all items;
- intra-list diversity@K: mean pairwise cosine distance between the items of a list, by an item
  feature matrix (Last.fm: tag counts per artist); pairs where an item has no features are left out;
- novelty@K: mean self-information ``−log2((pop + 1) / (users + 1))`` of the recommended items, with
  ``pop`` the number of training users who have the item (+1 so that unseen items stay finite).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

Recommender = Callable[[npt.NDArray[np.int64]], npt.NDArray[np.int64]]
"""Given a batch of user rows, the top-``max(ks)`` item columns per row, best first."""


@dataclass(frozen=True)
class Split:
    train: sp.csr_matrix
    held_out: dict[int, npt.NDArray[np.int64]]

    @property
    def users(self) -> npt.NDArray[np.int64]:
        return np.array(sorted(self.held_out), dtype=np.int64)


def holdout_split(matrix: sp.csr_matrix, *, per_user: int = 5, min_items: int = 10, seed: int = 0) -> Split:
    """Move ``per_user`` random positive items of every user with ``min_items`` or more to a hold-out."""
    rng = np.random.default_rng(seed)
    matrix = matrix.tocsr()
    keep = np.ones(matrix.nnz, dtype=bool)
    held_out: dict[int, npt.NDArray[np.int64]] = {}
    for user in range(matrix.shape[0]):
        start, stop = matrix.indptr[user], matrix.indptr[user + 1]
        positive = np.flatnonzero(matrix.data[start:stop] > 0) + start
        if len(positive) >= min_items:
            chosen = rng.choice(positive, size=per_user, replace=False)
            keep[chosen] = False
            held_out[user] = np.sort(matrix.indices[chosen]).astype(np.int64)
    coo = matrix.tocoo()
    train = sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape)
    return Split(train=train, held_out=held_out)


@dataclass(frozen=True)
class Metrics:
    k: int
    recall: float
    ndcg: float
    coverage: float
    diversity: float
    novelty: float

    def as_dict(self) -> dict[str, float]:
        return {
            "recall": self.recall,
            "ndcg": self.ndcg,
            "coverage": self.coverage,
            "diversity": self.diversity,
            "novelty": self.novelty,
        }


def ndcg_recall(top: npt.NDArray[np.int64], held_out: npt.NDArray[np.int64]) -> tuple[float, float]:
    hits = np.isin(top, held_out).astype(np.float64)
    discounts = 1.0 / np.log2(np.arange(2, len(top) + 2))
    ideal = discounts[: min(len(held_out), len(top))].sum()
    return float((hits * discounts).sum() / ideal), float(hits.sum() / len(held_out))


def unit_rows(features: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to length 1 (rows without features stay empty)."""
    features = features.tocsr().astype(np.float64)
    norms = np.sqrt(np.asarray(features.multiply(features).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    scaled: sp.csr_matrix = sp.diags(1.0 / norms) @ features
    return scaled.tocsr()


def list_diversity(items: npt.NDArray[np.int64], unit_features: sp.csr_matrix) -> float | None:
    """Mean pairwise cosine distance of the items that have features (rows from ``unit_rows``);
    None when fewer than two of them do."""
    rows = unit_features[items]
    rows = rows[rows.getnnz(axis=1) > 0]
    n = rows.shape[0]
    if n < 2:
        return None
    cosine = np.asarray((rows @ rows.T).todense())
    return float((n * (n - 1) - (cosine.sum() - np.trace(cosine))) / (n * (n - 1)))


def evaluate(
    recommend: Recommender,
    split: Split,
    *,
    ks: Sequence[int] = (10, 30),
    features: sp.csr_matrix | None = None,
    batch_users: int = 256,
) -> dict[int, Metrics]:
    """Every metric at every K, for one recommender on one split."""
    users = split.users
    n_users, n_items = split.train.shape
    item_users = np.bincount(split.train.indices[split.train.data > 0], minlength=n_items)
    information = -np.log2((item_users + 1.0) / (n_users + 1.0))
    k_max = max(ks)
    unit = unit_rows(features) if features is not None else None
    sums = {k: np.zeros(3) for k in ks}  # ndcg, recall, novelty
    diversity: dict[int, list[float]] = {k: [] for k in ks}
    seen: dict[int, set[int]] = {k: set() for k in ks}
    for start in range(0, len(users), batch_users):
        batch = users[start : start + batch_users]
        tops = recommend(batch)
        for user, top in zip(batch, tops[:, :k_max], strict=True):
            for k in ks:
                head = top[:k]
                ndcg, recall = ndcg_recall(head, split.held_out[int(user)])
                sums[k] += (ndcg, recall, information[head].mean())
                seen[k].update(head.tolist())
                if unit is not None:
                    value = list_diversity(head, unit)
                    if value is not None:
                        diversity[k].append(value)
    count = max(1, len(users))
    return {
        k: Metrics(
            k=k,
            ndcg=float(sums[k][0] / count),
            recall=float(sums[k][1] / count),
            novelty=float(sums[k][2] / count),
            coverage=len(seen[k]) / n_items,
            diversity=float(np.mean(diversity[k])) if diversity[k] else float("nan"),
        )
        for k in ks
    }
