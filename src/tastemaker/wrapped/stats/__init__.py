"""The year's statistics, one small module each, found through ``REGISTRY`` (the ListenBrainz way).

A statistic is portable SQL over the engine relations (``tastemaker.engines.base.RELATIONS``) and a
``collect`` that turns the result rows into fields of each listener's partial recap. Adding one is a
new module here and a line in ``REGISTRY``; the job, the engines and the story need no change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pyarrow as pa

from tastemaker.wrapped.stats import (
    audio_mood,
    clock,
    minutes,
    month_top,
    new_artists,
    newness,
    replayed_day,
    streak,
    top_albums,
    top_artists,
    top_genres,
    top_tracks,
)

Partials = dict[str, dict[str, Any]]
"""user_id → the recap fields found so far (JSON-able values)."""


class Statistic(Protocol):
    NAME: str

    def queries(self, year: int) -> dict[str, str]: ...

    def collect(self, results: Mapping[str, pa.Table], partials: Partials) -> None: ...


REGISTRY: tuple[Statistic, ...] = (
    minutes,  # type: ignore[assignment]  # modules satisfy the protocol structurally
    top_artists,  # type: ignore[assignment]
    top_tracks,  # type: ignore[assignment]
    top_albums,  # type: ignore[assignment]
    top_genres,  # type: ignore[assignment]
    month_top,  # type: ignore[assignment]
    clock,  # type: ignore[assignment]
    streak,  # type: ignore[assignment]
    new_artists,  # type: ignore[assignment]
    replayed_day,  # type: ignore[assignment]
    audio_mood,  # type: ignore[assignment]
    newness,  # type: ignore[assignment]
)


def all_queries(year: int) -> dict[str, str]:
    """Every statistic's queries, named ``statistic.query`` so results find their way back."""
    queries: dict[str, str] = {}
    for statistic in REGISTRY:
        for name, sql in statistic.queries(year).items():
            queries[f"{statistic.NAME}.{name}"] = sql
    return queries


def collect_all(results: Mapping[str, pa.Table], partials: Partials) -> None:
    for statistic in REGISTRY:
        prefix = f"{statistic.NAME}."
        mine = {k.removeprefix(prefix): v for k, v in results.items() if k.startswith(prefix)}
        statistic.collect(mine, partials)
