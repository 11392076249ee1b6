"""``run_simulation``: build a world, stream its events into a sink, show progress; what the CLI calls."""

from __future__ import annotations

import sys
from datetime import date
from itertools import islice

from tqdm import tqdm

from tastemaker.simulate.sinks import Sink
from tastemaker.simulate.stream import events
from tastemaker.simulate.world import World

BATCH_EVENTS = 500  # small batches keep few events alive, which keeps the garbage collector's work small


def run_simulation(
    *,
    seed: int,
    users: int,
    tracks: int,
    days: int,
    start: date,
    sink: Sink,
    limit_events: int | None = None,
    progress: bool = True,
    shard: tuple[int, int] = (0, 1),
    part: str = "all",
    audio: str = "none",
) -> int:
    """Generate the world's events (at most ``limit_events``) into ``sink`` and return how many.

    ``part`` (``"all"``, ``"catalog"``, ``"listening"``) and ``shard=(k, n)`` (every n-th listener
    from k, for parallel runs) select what to write, as in ``events``; ``audio="synth"`` gives every
    ``track_added`` a ``synth:`` audio URL.
    The sink is closed on success (so its output is complete) and aborted on any error, including
    Ctrl-C. Progress goes to stderr, so NDJSON on stdout stays clean.
    """
    world = World.build(seed=seed, users=users, tracks=tracks, start=start, days=days)
    stream = events(world, shard=shard, part=part, audio=audio)
    if limit_events is not None:
        stream = islice(stream, limit_events)
    written = 0
    bar = tqdm(
        total=limit_events,
        unit=" events",
        unit_scale=True,
        file=sys.stderr,
        disable=not progress,
        smoothing=0.1,
    )
    try:
        while batch := list(islice(stream, BATCH_EVENTS)):
            sink.write(batch)
            written += len(batch)
            bar.update(len(batch))
    except BaseException:
        sink.abort()
        raise
    finally:
        bar.close()
    sink.close()
    return written
