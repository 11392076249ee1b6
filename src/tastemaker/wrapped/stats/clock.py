"""The listening clock: minutes by weekday × hour (UTC), one row of 24 per weekday in the SQL."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from tastemaker.wrapped.stats._rows import minutes

NAME = "clock"
HOURS = 24
WEEKDAYS = 7


def queries(year: int) -> dict[str, str]:
    hours = ", ".join(f"SUM(CASE WHEN hour = {h} THEN ms ELSE 0 END) AS h{h}" for h in range(HOURS))
    return {"cells": f"SELECT user_id, weekday, {hours} FROM plays GROUP BY user_id, weekday"}


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    table = results["cells"]
    users = table.column("user_id").to_pylist()
    weekdays = table.column("weekday").to_pylist()
    hours = [table.column(f"h{h}").to_pylist() for h in range(HOURS)]
    for i, (user_id, weekday) in enumerate(zip(users, weekdays, strict=True)):
        grid = partials.setdefault(user_id, {}).setdefault("listening_clock", _empty())
        assert isinstance(grid, list)
        grid[int(weekday)] = [minutes(int(hours[h][i])) for h in range(HOURS)]


def _empty() -> list[list[float]]:
    return [[0.0] * HOURS for _ in range(WEEKDAYS)]
