"""A deterministic world simulator: a catalog, listeners with drifting tastes, and their listening.

``tastemaker simulate`` uses it to feed the demo, the load tests and the batch benchmarks. Same
parameters and seed give a byte-identical stream with the same event ids, so sending it twice adds
nothing. Events are generated lazily, day by day, so any number of them can be written in bounded
memory: the catalog (about 250 bytes per track), one day's session schedule (about 50 bytes per
session) and a bounded cache of listeners are all that is held. See ``docs/simulator.md``.

The API::

    run_simulation(*, seed, users, tracks, days, start, sink, limit_events=None, progress=True,
                   shard=(0, 1), part="all", audio="none") -> int
    open_sink(to, target=None, *, token=None) -> Sink     # "ndjson"/"parquet"/"null" or an http(s) URL
    World.build(*, seed, users, tracks, start, days) -> World
    events(world, *, shard=(0, 1), part="all", audio="none") -> Iterator[Event]  # catalog, then listening

``audio="synth"`` gives every catalog track a ``synth:`` audio URL (``simulate/sound.py``), which
``tastemaker.audio.synth`` renders: playable in the web app and analysed by the catalog consumer.

Sinks: ``NdjsonSink(path | None)``, ``ParquetSink(directory)``, ``HttpSink(url, token=...)``,
``LogSink(event_log)``, ``NullSink()``; each has ``write(events)``, ``close()`` and ``abort()``,
and is a context manager.

Examples:
    >>> from datetime import date
    >>> from tastemaker.simulate import World, events
    >>> world = World.build(seed=1, users=10, tracks=200, start=date(2024, 1, 1), days=2)
    >>> first = next(events(world))
    >>> first.track_id, first.user_id
    ('sim:t0', 'catalog')
"""

from __future__ import annotations

from tastemaker.simulate.ndjson_sink import NdjsonSink
from tastemaker.simulate.run import run_simulation
from tastemaker.simulate.sinks import NullSink, Sink, SinkError, open_sink
from tastemaker.simulate.stream import catalog_events, events, listening_events
from tastemaker.simulate.world import World

__all__ = [
    "NdjsonSink",
    "NullSink",
    "Sink",
    "SinkError",
    "World",
    "catalog_events",
    "events",
    "listening_events",
    "open_sink",
    "run_simulation",
]
