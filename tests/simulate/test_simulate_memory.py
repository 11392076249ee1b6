"""Bounded memory: generating three times as many events must not need more memory."""

from __future__ import annotations

import tracemalloc
from datetime import date
from itertools import islice

from tastemaker.simulate import NullSink, World, events

BATCH = 2_000


def peak_bytes(world: World, n_events: int) -> int:
    """Peak traced allocation while streaming ``n_events`` into a sink (the world is built already)."""
    sink = NullSink()
    tracemalloc.start()
    try:
        stream = islice(events(world), n_events)
        while batch := list(islice(stream, BATCH)):
            sink.write(batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.count == n_events
    return peak


def test_peak_memory_does_not_grow_with_the_number_of_events() -> None:
    """tracemalloc makes generation ~10x slower, so the counts are small (a day of 400 listeners vs
    four): what matters is that four times the events need no more memory."""
    world = World.build(seed=1, users=400, tracks=4_000, start=date(2024, 1, 1), days=365)
    small = peak_bytes(world, 12_000)
    large = peak_bytes(world, 48_000)
    assert large < small * 1.25 + 256 * 1024, (small, large)
    assert large < 16 * 1024 * 1024
