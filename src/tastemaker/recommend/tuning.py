"""Choosing hyper-parameters on a validation hold-out, a small grid one source at a time.

Only ever given a split carved from *training* data (``evaluate.holdout_split`` of the training
part), so the test hold-out stays unseen. Stages, each judged by NDCG@10:

1. ALS alone, over factors × regularisation × confidence alpha;
2. co-occurrence alone, over neighbours × BM25 (k1, b);
3. the blend of the best ALS with each of the two best co-occurrence settings, over the blend weight
   × the popularity discount β.

Coordinate-wise rather than the full product: the full grid would be hundreds of ALS fits, and the
stages hardly interact (the blend normalises each source per user).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from tqdm import tqdm

from tastemaker.recommend.als import Factors, fit_als
from tastemaker.recommend.cooccurrence import item_similarity
from tastemaker.recommend.evaluate import Recommender, Split, evaluate
from tastemaker.recommend.interactions import confidence
from tastemaker.recommend.params import AlsParams, BlendParams, CooccurrenceParams, TrainParams
from tastemaker.recommend.ranker import Ranker, popularity
from tastemaker.recommend.training import user_baskets


@dataclass(frozen=True)
class Grid:
    factors: Sequence[int] = (32, 64, 128)
    regularization: Sequence[float] = (20.0, 50.0, 150.0)
    alpha: Sequence[float] = (1.0, 2.0, 4.0)
    neighbours: Sequence[int] = (50, 100, 200)
    bm25: Sequence[tuple[float, float]] = ((1.2, 0.75), (100.0, 0.8))
    cooccurrence_weight: Sequence[float] = (0.05, 0.1, 0.2, 0.3, 0.5)
    popularity_beta: Sequence[float] = (0.0, 0.05, 0.1, 0.2)


QUICK_GRID = Grid(
    factors=(64,),
    regularization=(20.0,),
    alpha=(2.0,),
    neighbours=(100,),
    bm25=((100.0, 0.8),),
    cooccurrence_weight=(0.1,),
    popularity_beta=(0.0,),
)


@dataclass(frozen=True)
class Trial:
    stage: str
    params: dict[str, Any]
    ndcg_at_10: float


@dataclass
class Tuning:
    best: TrainParams
    trials: list[Trial] = field(default_factory=list)


def ranker_recommender(
    ranker: Ranker, user_vectors: npt.NDArray[np.float32], train: sp.csr_matrix, n: int
) -> Recommender:
    """Top ``n`` of the ranker for user rows of ``train``."""

    def recommend(rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return ranker.recommend(user_vectors[rows], train[rows], n)[0]

    return recommend


def _ndcg(ranker: Ranker, factors: Factors, split: Split) -> float:
    return evaluate(ranker_recommender(ranker, factors.users, split.train, 10), split, ks=(10,))[10].ndcg


def tune(split: Split, grid: Grid, *, seed: int = 0, progress: bool = False) -> Tuning:
    """The best ``TrainParams`` (with user baskets) on ``split``, and every trial."""
    train = split.train
    pop = popularity(train)
    empty = sp.csr_matrix((train.shape[1], train.shape[1]), dtype=np.float32)
    alone = BlendParams(cooccurrence_weight=0.0, popularity_beta=0.0)
    trials: list[Trial] = []
    als_grid = [
        AlsParams(factors=f, regularization=r, alpha=a, seed=seed)
        for f in grid.factors
        for r in grid.regularization
        for a in grid.alpha
    ]
    best_als: tuple[float, AlsParams, Factors] | None = None
    for params in tqdm(als_grid, desc="tune ALS", file=sys.stderr, disable=not progress):
        factors = fit_als(confidence(train, alpha=params.alpha), params)
        score = _ndcg(Ranker(factors.items, empty, pop, alone), factors, split)
        trials.append(Trial("als", params.as_dict(), score))
        if best_als is None or score > best_als[0]:
            best_als = (score, params, factors)
    assert best_als is not None
    _score, als_params, factors = best_als
    cooc_scores: list[tuple[float, CooccurrenceParams, sp.csr_matrix]] = []
    only_cooc = BlendParams(cooccurrence_weight=1.0, popularity_beta=0.0)
    cooc_grid = [CooccurrenceParams(neighbours=k, k1=k1, b=b) for k in grid.neighbours for k1, b in grid.bm25]
    for cooc in tqdm(cooc_grid, desc="tune co-occurrence", file=sys.stderr, disable=not progress):
        similarity = item_similarity(user_baskets(train), cooc)
        score = _ndcg(Ranker(factors.items, similarity, pop, only_cooc), factors, split)
        trials.append(Trial("cooccurrence", cooc.as_dict(), score))
        cooc_scores.append((score, cooc, similarity))
    cooc_scores.sort(key=lambda entry: -entry[0])
    best = (-1.0, TrainParams(als=als_params, baskets="user"))
    for _s, cooc, similarity in cooc_scores[:2]:
        for weight in grid.cooccurrence_weight:
            for beta in grid.popularity_beta:
                blend = BlendParams(cooccurrence_weight=weight, popularity_beta=beta)
                score = _ndcg(Ranker(factors.items, similarity, pop, blend), factors, split)
                trials.append(Trial("blend", {**cooc.as_dict(), **blend.as_dict()}, score))
                if score > best[0]:
                    best = (
                        score,
                        TrainParams(als=als_params, cooccurrence=cooc, blend=blend, baskets="user"),
                    )
    return Tuning(best=replace(best[1]), trials=trials)
