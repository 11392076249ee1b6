"""The simulator section of ``recommend_quality``: a temporal split of a simulated world.

Models train on the first ``days - test_days`` days of listening and must find, for each listener,
the tracks they play in the last ``test_days`` days that they had never played, skipped or liked
before ("future new-to-them tracks"): what Discover Weekly is for. Only tracks the training part
knows can be found by any model, so unknown ones are left out of the hold-out.

Models: popularity; implicit ALS defaults on raw play counts (every ``play`` event counts 1, what a
user of implicit would feed it); ours with ``train``'s defaults, co-occurrence over sessions (what
``tastemaker train`` builds) and over whole user histories. Diversity is by the tracks' genres.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from benchmarks._harness import log
from tastemaker.events.schema import Event, Play
from tastemaker.recommend.als import fit_default_als
from tastemaker.recommend.evaluate import Metrics, Recommender, Split, evaluate
from tastemaker.recommend.interactions import Interactions, InteractionsBuilder
from tastemaker.recommend.params import TrainParams
from tastemaker.recommend.ranker import popularity, top_n
from tastemaker.recommend.training import build_model
from tastemaker.recommend.tuning import ranker_recommender
from tastemaker.simulate.genres import GENRE_NAMES
from tastemaker.simulate.stream import events
from tastemaker.simulate.world import World

START = date(2025, 1, 1)
BATCH = 20_000
KS = (10, 30)


@dataclass(frozen=True)
class SimulatedSplit:
    ours: Interactions
    counts: Interactions
    split: Split
    genres: sp.csr_matrix
    train_events: int


def _plays_count_one(event: Event, _duration_ms: int | None) -> float:
    return 1.0 if isinstance(event, Play) else 0.0


def temporal_split(*, seed: int, users: int, tracks: int, days: int, test_days: int) -> SimulatedSplit:
    world = World.build(seed=seed, users=users, tracks=tracks, start=START, days=days)
    cutoff = world.day_start(days - test_days)
    ours, counts = InteractionsBuilder(), InteractionsBuilder(weigh=_plays_count_one)
    batch: list[Event] = []
    future: dict[str, set[str]] = defaultdict(set)
    for event in events(world, part="listening"):
        if event.ts < cutoff:
            batch.append(event)
            if len(batch) >= BATCH:
                ours.add(batch)
                counts.add(batch)
                batch = []
        elif isinstance(event, Play) and event.track_id:
            future[event.user_id].add(event.track_id)
    ours.add(batch)
    counts.add(batch)
    built, plain = ours.build(), counts.build()
    assert built.item_ids == plain.item_ids and built.user_ids == plain.user_ids  # same events, same order
    columns = built.item_index()
    held_out: dict[int, npt.NDArray[np.int64]] = {}
    for row, user in enumerate(built.user_ids):
        heard = set(built.matrix[row].indices.tolist())
        new = sorted({columns[t] for t in future.get(user, ()) if t in columns} - heard)
        if new:
            held_out[row] = np.array(new, dtype=np.int64)
    return SimulatedSplit(
        ours=built,
        counts=plain,
        split=Split(train=built.matrix, held_out=held_out),
        genres=_genres(world, built.item_ids),
        train_events=built.events,
    )


def _genres(world: World, item_ids: list[str]) -> sp.csr_matrix:
    rows, cols = [], []
    for row, item in enumerate(item_ids):
        for genre in world.catalog.track_genres(int(item.removeprefix("sim:t"))):
            rows.append(row)
            cols.append(genre)
    ones = np.ones(len(rows), dtype=np.float32)
    return sp.csr_matrix((ones, (rows, cols)), shape=(len(item_ids), len(GENRE_NAMES)))


def simulated_results(
    *, seed: int, users: int, tracks: int, days: int, test_days: int
) -> tuple[SimulatedSplit, dict[str, dict[int, Metrics]]]:
    data = temporal_split(seed=seed, users=users, tracks=tracks, days=days, test_days=test_days)
    split, k_max = data.split, max(KS)
    log(
        f"simulated world: {data.train_events:,} training events, {split.train.shape[0]:,} users × "
        f"{split.train.shape[1]:,} tracks; {len(split.held_out):,} users play new tracks later"
    )
    results: dict[str, dict[int, Metrics]] = {}
    pop = popularity(split.train)[None, :]

    def popular(rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return top_n(np.repeat(pop, len(rows), axis=0), split.train[rows], k_max)[0]

    factors = fit_default_als(data.counts.matrix, seed=0)

    def plain(rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return top_n(factors.scores(rows), split.train[rows], k_max)[0]

    recommenders: dict[str, Recommender] = {
        "popularity": popular,
        "implicit ALS defaults, play counts": plain,
    }
    for baskets in ("session", "user"):
        model = build_model(data.ours, TrainParams(baskets=baskets))
        name = f"ours: `train` defaults, {baskets} co-occurrence"
        recommenders[name] = ranker_recommender(model.ranker(), model.factors.users, split.train, k_max)
    for name, recommend in recommenders.items():
        results[name] = evaluate(recommend, split, ks=KS, features=data.genres)
        log(f"simulated, {name}: recall@30 {results[name][30].recall:.4f}")
    return data, results
