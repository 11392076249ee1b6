"""Implicit-feedback matrix factorisation (implicit's CPU ALS), and folding a new user in.

Why the wrapper:
- **BLAS threads.** implicit runs its own threads; OpenBLAS running a thread pool underneath makes a
  fit up to 10× slower (and implicit warns). The fit runs inside ``threadpool_limits(1, "blas")``,
  entered *after* importing implicit, because SciPy's own OpenBLAS is only loaded then.
- **Threads.** The cores this process may use (``os.sched_getaffinity``), not the machine's: on a
  shared 2-core box that is 2, and asking for more only adds contention.
- **Defaults.** ``params.AlsParams`` holds the values tuned on a validation split carved from the training
  part of Last.fm 2K (``benchmarks/recommend_quality.py``): few factors and strong regularisation
  beat implicit's defaults (100 factors, λ = 0.01) on sparse listening data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from tastemaker.recommend.params import AlsParams

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Factors:
    """``users``: users × factors, ``items``: items × factors (float32); a score is their dot product."""

    users: Matrix
    items: Matrix
    regularization: float

    def scores(self, user_rows: npt.NDArray[np.int64]) -> Matrix:
        """Dense users × items scores for a batch of user rows."""
        result: Matrix = self.users[user_rows] @ self.items.T
        return result


def available_threads() -> int:
    """Cores this process may run on (2 on the project's machines)."""
    return len(os.sched_getaffinity(0))


def _fit(model: AlternatingLeastSquares, matrix: sp.csr_matrix, progress: bool) -> None:
    with threadpool_limits(1, "blas"):
        model.fit(matrix.astype(np.float32).tocsr(), show_progress=progress)


def fit_als(
    confidence: sp.csr_matrix, params: AlsParams, *, threads: int | None = None, progress: bool = False
) -> Factors:
    """Factorise a users × items confidence matrix (see ``interactions.confidence``)."""
    with threadpool_limits(1, "blas"):  # implicit checks the BLAS pool when the model is made
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=1.0,
            iterations=params.iterations,
            random_state=params.seed,
            num_threads=threads or available_threads(),
        )
    _fit(model, confidence, progress)
    return Factors(
        users=np.ascontiguousarray(model.user_factors, dtype=np.float32),
        items=np.ascontiguousarray(model.item_factors, dtype=np.float32),
        regularization=params.regularization,
    )


def fit_default_als(
    matrix: sp.csr_matrix, *, seed: int = 0, threads: int | None = None, progress: bool = False
) -> Factors:
    """The baseline: implicit's ALS with every default, on the matrix as given (e.g. raw play counts)."""
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(random_state=seed, num_threads=threads or available_threads())
    _fit(model, matrix, progress)
    return Factors(
        users=np.asarray(model.user_factors, dtype=np.float32),
        items=np.asarray(model.item_factors, dtype=np.float32),
        regularization=float(model.regularization),
    )


def fold_in(factors: Factors, items: npt.NDArray[np.int64], confidences: npt.NDArray[np.float32]) -> Matrix:
    """A user vector for a history that was not part of the fit (one ALS half-step, exact).

    Solves ``(YᵀY + Yᵀ(C − I)Y + λI) x = Yᵀ C p`` over the user's items with implicit's sign
    convention: a positive confidence is a liked item, a negative one a disliked item (p = 0).
    Cost: O(f² · n + f³) for n history items; a new listener gets recommendations without a refit.
    """
    y = factors.items
    f = y.shape[1]
    a = y.T @ y + factors.regularization * np.eye(f, dtype=np.float32)
    b = np.zeros(f, dtype=np.float32)
    for item, c in zip(items, confidences, strict=True):
        row = y[item]
        weight = abs(float(c))
        a += (weight - 1.0) * np.outer(row, row)
        if c > 0:
            b += weight * row
    solved: Matrix = np.linalg.solve(a, b).astype(np.float32)
    return solved
