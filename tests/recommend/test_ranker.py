"""ALS, co-occurrence and the ranker on a synthetic world: they find the held-out items a listener's
co-listeners played, far better than chance."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.recommend.als import fit_als, fold_in
from tastemaker.recommend.ann import build_index, nearest
from tastemaker.recommend.cooccurrence import item_similarity, top_k_per_row
from tastemaker.recommend.evaluate import evaluate, holdout_split, ndcg_recall
from tastemaker.recommend.interactions import Interactions, confidence
from tastemaker.recommend.params import AlsParams, BlendParams, CooccurrenceParams, TrainParams
from tastemaker.recommend.ranker import Ranker, popularity, top_n
from tastemaker.recommend.training import build_model
from tastemaker.recommend.tuning import ranker_recommender
from tests.recommend.world import genre_of_item, genre_world

SMALL_ALS = AlsParams(factors=16, regularization=1.0, iterations=10)


def test_ranker_recommends_held_out_co_listened_items_better_than_random() -> None:
    world, _genres = genre_world()
    split = holdout_split(world.matrix, per_user=3, min_items=10, seed=1)
    train = Interactions(split.train, split.train, world.user_ids, world.item_ids)
    model = build_model(train, TrainParams(als=SMALL_ALS, baskets="user"))
    ours = evaluate(ranker_recommender(model.ranker(), model.factors.users, split.train, 10), split, ks=(10,))
    rng = np.random.default_rng(0)

    def random(rows: np.ndarray) -> np.ndarray:
        return top_n(rng.random((len(rows), world.items)).astype(np.float32), split.train[rows], 10)[0]

    chance = evaluate(random, split, ks=(10,))
    # chance: about 10 of ~227 unseen items, so recall ≈ 0.04; the genre holds 28 unseen items
    assert chance[10].recall < 0.1
    assert ours[10].recall > 0.25 and ours[10].recall > 4 * chance[10].recall
    assert ours[10].ndcg > 4 * chance[10].ndcg


def test_recommendations_stay_in_the_genre_and_skip_the_history() -> None:
    world, genres = genre_world()
    model = build_model(world, TrainParams(als=SMALL_ALS, baskets="user"))
    user = world.user_ids[7]
    history = {world.item_ids[i] for i in world.matrix[7].indices}
    recommended = model.recommend(user, 10)
    assert len(recommended) == 10 and not history & {r.item_id for r in recommended}
    in_genre = sum(genre_of_item(r.item_id) == genres[user] for r in recommended)
    assert in_genre >= 9
    assert [r.score for r in recommended] == sorted((r.score for r in recommended), reverse=True)


def test_a_new_listener_is_folded_in_and_a_cold_one_gets_popular_items() -> None:
    world, _genres = genre_world()
    model = build_model(world, TrainParams(als=SMALL_ALS, baskets="user"))
    history = {"i0085": 5.0, "i0090": 3.0, "i0101": 1.0, "i0007": -0.5}  # genre 2, one skip elsewhere
    recommended = model.recommend("newcomer", 10, history=history)
    assert sum(genre_of_item(r.item_id) == 2 for r in recommended) >= 8
    assert not set(history) & {r.item_id for r in recommended}
    cold = model.recommend("nobody", 5)
    assert [r.score for r in cold] == sorted(model.item_popularity.tolist(), reverse=True)[:5]


def test_fold_in_matches_the_fitted_user_vectors() -> None:
    """The fold-in solves the same least squares as ALS's user step, so after the fit it reproduces
    a trained user's vector closely."""
    world, _genres = genre_world()
    conf = confidence(world.matrix)
    factors = fit_als(conf, AlsParams(factors=8, regularization=1.0, iterations=20))
    row = conf[3]
    vector = fold_in(factors, row.indices.astype(np.int64), row.data)
    cosine = vector @ factors.users[3] / (np.linalg.norm(vector) * np.linalg.norm(factors.users[3]))
    assert cosine > 0.99


def test_cooccurrence_neighbours_come_from_the_same_baskets() -> None:
    world, _genres = genre_world()
    similarity = item_similarity(world.baskets, CooccurrenceParams(neighbours=10), block_items=7)
    assert similarity.shape == (world.items, world.items)
    assert similarity.diagonal().sum() == 0 and (similarity.getnnz(axis=1) <= 10).all()
    same = [
        genre_of_item(world.item_ids[i]) == genre_of_item(world.item_ids[j])
        for i, j in zip(*similarity.nonzero(), strict=True)
    ]
    assert np.mean(same) > 0.9
    whole = item_similarity(world.baskets, CooccurrenceParams(neighbours=10), block_items=10_000)
    assert abs(whole - similarity).max() < 1e-5  # blocks change memory use, not the result


def test_top_k_per_row_keeps_the_largest_off_the_diagonal() -> None:
    block = sp.csr_matrix(np.array([[9.0, 1.0, 3.0, 2.0], [0.0, 5.0, 4.0, 6.0]], dtype=np.float32))
    kept = top_k_per_row(block, 2, first_row=0).toarray()
    assert kept.tolist() == [[0.0, 0.0, 3.0, 2.0], [0.0, 0.0, 4.0, 6.0]]


def test_blend_weights_and_popularity_discount() -> None:
    world, _genres = genre_world()
    model = build_model(world, TrainParams(als=SMALL_ALS, baskets="user"))
    vectors, history = model.factors.users[:4], world.matrix[:4]
    pop = popularity(world.matrix)

    def ranker(weight: float, beta: float) -> Ranker:
        return Ranker(model.factors.items, model.similarity, pop, BlendParams(weight, beta))

    plain = ranker(0.0, 0.0).scores(vectors, history)
    assert plain.max(axis=1) == pytest.approx(1.0)  # each source is scaled to its best item
    discounted = ranker(0.0, 0.5).scores(vectors, history)
    assert np.allclose(discounted, plain * (1 + pop) ** -0.5)
    only_cooc = ranker(1.0, 0.0).scores(vectors, history)
    assert not np.allclose(only_cooc, plain)


def test_ann_index_over_item_factors_finds_the_exact_best_items() -> None:
    world, _genres = genre_world()
    model = build_model(world, TrainParams(als=SMALL_ALS, baskets="user"))
    query = model.factors.users[:5]
    labels, _distances = nearest(model.item_index, query, 10)
    exact = np.argsort(-(query @ model.factors.items.T), axis=1)[:, :10]
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(labels, exact, strict=True)])
    assert overlap >= 0.9
    audio = build_index(np.eye(3, dtype=np.float32), np.array([4, 8, 15]), space="cosine")
    assert nearest(audio, np.array([[0.1, 1.0, 0.0]], dtype=np.float32), 1)[0].tolist() == [[8]]


def test_ndcg_and_recall_by_hand() -> None:
    ndcg, recall = ndcg_recall(np.array([7, 3, 9]), np.array([3, 4]))
    assert recall == 0.5
    assert ndcg == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))
