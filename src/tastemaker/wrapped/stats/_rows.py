"""Helpers the statistics share: ranked rows per user, and minutes from exact milliseconds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

MS_PER_MINUTE = 60_000


def minutes(ms: int) -> float:
    """Minutes to one decimal, from integer milliseconds (exact, so every engine agrees)."""
    return round(ms / MS_PER_MINUTE, 1)


def ranked_sql(*, keys: str, names: str, source: str, limit: int, where: str = "") -> str:
    """Top ``limit`` of ``keys`` per user by milliseconds, ties broken by key (deterministic)."""
    condition = f"WHERE {where}" if where else ""
    return f"""
        SELECT user_id, {keys}, {names}, ms, streams, rnk FROM (
            SELECT user_id, {keys}, {names}, ms, streams,
                   ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ms DESC, {keys}) AS rnk
            FROM (
                SELECT user_id, {keys}, {_max_each(names)}, SUM(ms) AS ms, SUM(stream) AS streams
                FROM {source} {condition} GROUP BY user_id, {keys}
            ) grouped
        ) ranked WHERE rnk <= {limit}
    """


def _max_each(names: str) -> str:
    return ", ".join(f"MAX({n.strip()}) AS {n.strip()}" for n in names.split(","))


def group_rows(table: pa.Table, build: Callable[[dict[str, Any]], Any]) -> dict[str, list[Any]]:
    """Rows of ``table`` grouped by user, in table order, each made into a value by ``build``."""
    grouped: dict[str, list[Any]] = {}
    for row in table.sort_by([("user_id", "ascending"), ("rnk", "ascending")]).to_pylist():
        grouped.setdefault(row["user_id"], []).append(build(row))
    return grouped
