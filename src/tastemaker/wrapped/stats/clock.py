"""The listening clock: minutes by weekday × hour (UTC)."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from tastemaker.wrapped.stats._rows import minutes

NAME = "clock"
HOURS = 24
WEEKDAYS = 7


def queries(year: int) -> dict[str, str]:
    # one row per (user, weekday, hour) cell with listening: a plain GROUP BY, pivoted in ``collect``
    return {
        "cells": "SELECT user_id, weekday, hour, SUM(ms) AS ms FROM plays GROUP BY user_id, weekday, hour"
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    table = results["cells"]
    columns = (table.column(name).to_pylist() for name in ("user_id", "weekday", "hour", "ms"))
    for user_id, weekday, hour, ms in zip(*columns, strict=True):
        grid = partials.setdefault(user_id, {}).setdefault("listening_clock", _empty())
        assert isinstance(grid, list)
        grid[int(weekday)][int(hour)] = minutes(int(ms))


def _empty() -> list[list[float]]:
    return [[0.0] * HOURS for _ in range(WEEKDAYS)]
