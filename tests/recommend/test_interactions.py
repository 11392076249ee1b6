"""Interactions from real events in a real SQLite event log: weights, sessions, and no trace left on
the consumer groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import numpy as np
import pytest

from tastemaker.events.schema import FULL_LISTEN_MS, Event, Follow, Like, Play, Skip, Unlike
from tastemaker.platform import Platform
from tastemaker.recommend.interactions import (
    LIKE_WEIGHT,
    SKIP_WEIGHT,
    Interactions,
    InteractionsBuilder,
    confidence,
    from_triples,
)
from tastemaker.recommend.log_reader import read_log
from tastemaker.recommend.training import interactions_from_log

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _events() -> list[Event]:
    minute, full = timedelta(minutes=1), 200_000
    return [
        Play(user_id="ann", track_id="a", ts=T0, ms_played=100_000, duration_ms=full, event_id="1"),
        Play(
            user_id="ann",
            track_id="a",
            ts=T0 + 4 * minute,
            ms_played=250_000,
            duration_ms=200_000,
            event_id="2",
        ),
        Skip(user_id="ann", track_id="b", ts=T0 + 8 * minute, ms_played=5_000, event_id="3"),
        Like(user_id="ann", track_id="c", ts=T0 + 9 * minute, event_id="4"),
        Play(
            user_id="ann", track_id="c", ts=T0 + 3 * 60 * minute, ms_played=90_000, event_id="5"
        ),  # new session
        Play(user_id="bob", track_id="b", ts=T0, ms_played=30_000, event_id="6"),  # no duration: 3 min
        Like(user_id="bob", track_id="a", ts=T0 + minute, event_id="7"),
        Unlike(user_id="bob", track_id="a", ts=T0 + 2 * minute, event_id="8"),
        Follow(user_id="bob", target_type="artist", target_id="x", ts=T0, event_id="9"),
    ]


def _append(platform: Platform, events: list[Event]) -> None:
    now = datetime.now(UTC)
    platform.event_log.append([msgspec.structs.replace(e, received_at=now) for e in events])


def test_weights_and_sessions_from_the_event_log(platform: Platform) -> None:
    _append(platform, _events())
    built = interactions_from_log(platform.event_log)
    users, items = built.user_index(), built.item_index()
    cell = built.matrix.toarray()
    ann, bob = users["ann"], users["bob"]
    assert cell[ann, items["a"]] == pytest.approx(0.5 + 1.0)  # completion, capped at a full play
    assert cell[ann, items["b"]] == pytest.approx(-SKIP_WEIGHT)  # only skipped: negative evidence
    assert cell[ann, items["c"]] == pytest.approx(LIKE_WEIGHT + 0.5)
    assert cell[bob, items["b"]] == pytest.approx(30_000 / FULL_LISTEN_MS)
    assert cell[bob, items["a"]] == 0 and built.matrix[bob].nnz == 1  # unlike took the like back
    assert built.events == 8  # the follow says nothing about a track
    # ann had two sessions (3 h apart: {a, c} then {c}; the skip of b is in no basket), bob one {b, a}
    assert built.baskets.shape[0] == 3
    assert sorted(built.baskets.getnnz(axis=1).tolist()) == [1, 2, 2]
    assert built.positives() == 3


def test_reading_leaves_consumer_groups_alone_and_sees_a_snapshot(platform: Platform) -> None:
    log = platform.event_log
    _append(platform, _events())
    log.commit("archiver", {p: 0 for p in range(log.partitions)})
    committed = log.committed("archiver")
    groups = log.groups()
    batches = read_log(log, batch_events=2)
    first = next(batches)
    _append(platform, [Play(user_id="cat", track_id="z", ts=T0, ms_played=1, event_id="late")])
    rest = [event for batch in batches for event in batch]
    assert len(first) <= 2 and len(first) + len(rest) == len(_events())  # the late event waits
    assert log.committed("archiver") == committed and log.groups() == groups
    assert len(next(read_log(log))) == len(_events()) + 1  # the next read starts from 0 again


def test_small_batches_and_compaction_give_the_same_matrix(platform: Platform) -> None:
    _append(platform, _events())
    whole = interactions_from_log(platform.event_log)
    builder = InteractionsBuilder(compact_every=2)
    for batch in read_log(platform.event_log, batch_events=1):
        builder.add(batch)
    piecewise = builder.build()
    assert _cells(piecewise) == pytest.approx(_cells(whole))
    assert piecewise.baskets.sum() == pytest.approx(whole.baskets.sum())
    assert piecewise.baskets.shape == whole.baskets.shape


def _cells(built: Interactions) -> dict[tuple[str, str], float]:
    """The matrix by ids (the order users and items are met in depends on the order of partitions)."""
    coo = built.matrix.tocoo()
    return {
        (built.user_ids[u], built.item_ids[i]): float(v)
        for u, i, v in zip(coo.row, coo.col, coo.data, strict=True)
    }


def test_confidence_is_signed_log_and_never_weaker_than_unobserved() -> None:
    built = from_triples(["u", "u", "v"], ["a", "b", "a"], [9.0, -0.5, 0.1])
    conf = confidence(built.matrix, alpha=2.0).toarray()
    assert conf[0, 0] == pytest.approx(1 + 2 * np.log(10))
    assert conf[0, 1] == pytest.approx(-(1 + 2 * np.log(1.5)))
    assert conf[1, 0] >= 1.0
    assert built.baskets.toarray().tolist() == [[9.0, 0.0], [pytest.approx(0.1), 0.0]]
