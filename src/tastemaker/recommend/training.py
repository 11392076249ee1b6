"""From interactions to a model: what ``tastemaker train`` and the quality benchmark both run.

Steps, each timed: confidence → ALS factors → co-occurrence similarity → popularity → ANN index over
item factors → (when vectors are given) ANN index over audio vectors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from tastemaker.events.log import EventLog
from tastemaker.recommend.als import fit_als
from tastemaker.recommend.ann import build_index
from tastemaker.recommend.cooccurrence import item_similarity
from tastemaker.recommend.interactions import Durations, Interactions, InteractionsBuilder, confidence
from tastemaker.recommend.log_reader import read_log
from tastemaker.recommend.model import Model
from tastemaker.recommend.params import BASKETS, TrainParams
from tastemaker.recommend.ranker import popularity

AudioVectors = Callable[[Sequence[str]], Mapping[str, Sequence[float]]]
"""Given item ids, the audio similarity vectors of those that have one."""


@dataclass
class Timings:
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def interactions_from_log(
    event_log: EventLog, *, durations: Durations | None = None, progress: bool = False
) -> Interactions:
    """Every listening event in the log, read from the start in batches (``log_reader.read_log``)."""
    builder = InteractionsBuilder(durations=durations)
    for events in read_log(event_log, progress=progress):
        builder.add(events)
    return builder.build()


def user_baskets(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Each user's positive evidence as one basket (co-occurrence over whole histories)."""
    baskets = matrix.maximum(0).tocsr().astype(np.float32)
    baskets.eliminate_zeros()
    return baskets


def build_model(
    interactions: Interactions,
    params: TrainParams,
    *,
    audio_vectors: AudioVectors | None = None,
    progress: bool = False,
    timings: Timings | None = None,
) -> Model:
    """Fit every candidate source on ``interactions`` and bundle them as a ``Model``."""
    if params.baskets not in BASKETS:
        msg = f"baskets = {params.baskets!r}: expected one of {', '.join(BASKETS)}"
        raise ValueError(msg)
    timings = timings if timings is not None else Timings()
    matrix = interactions.matrix
    with timings.step("als"):
        factors = fit_als(confidence(matrix, alpha=params.als.alpha), params.als, progress=progress)
    with timings.step("cooccurrence"):
        baskets = interactions.baskets if params.baskets == "session" else user_baskets(matrix)
        similarity = item_similarity(baskets, params.cooccurrence, progress=progress)
    with timings.step("ann_items"):
        columns = np.arange(interactions.items, dtype=np.int64)
        item_index = build_index(factors.items, columns, space="inner_product", seed=params.als.seed)
    audio_index = None
    if audio_vectors is not None:
        with timings.step("ann_audio"):
            found = audio_vectors(interactions.item_ids)
            if found:
                columns_of = interactions.item_index()
                labels = np.array([columns_of[item] for item in found], dtype=np.int64)
                vectors = np.array([list(v) for v in found.values()], dtype=np.float32)
                audio_index = build_index(vectors, labels, space="cosine", seed=params.als.seed)
    return Model(
        user_ids=interactions.user_ids,
        item_ids=interactions.item_ids,
        factors=factors,
        history=matrix,
        similarity=similarity,
        item_popularity=popularity(matrix),
        blend=params.blend,
        confidence_alpha=params.als.alpha,
        item_index=item_index,
        audio_index=audio_index,
    )
