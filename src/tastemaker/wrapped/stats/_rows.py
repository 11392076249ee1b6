"""Helpers the statistics share: ranked rows per user, and minutes from exact milliseconds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

MS_PER_MINUTE = 60_000


def minutes(ms: int) -> float:
    """Minutes to one decimal, from integer milliseconds (exact, so every engine agrees)."""
    return round(ms / MS_PER_MINUTE, 1)


def ranked_sql(*, key: str, names: str, limit: int, where: str = "") -> str:
    """Top ``limit`` of ``key`` per user by milliseconds, ties broken by key (deterministic), with
    ``names`` (columns of ``tracks``) joined onto the winning rows only.

    Ranking runs on ids over ``user_tracks``; a name is the largest among the user's tracks of the key
    (a track has one; an artist or album may be spelt differently on its tracks), as it always was.
    """
    condition = f"WHERE {where}" if where else ""
    grouped = (
        f"SELECT user_id, track_id, ms, streams FROM user_tracks {condition}"  # one row per track already
        if key == "track_id"
        else f"SELECT user_id, {key}, SUM(ms) AS ms, SUM(streams) AS streams "
        f"FROM user_tracks {condition} GROUP BY user_id, {key}"
    )
    ranked = f"""
        SELECT user_id, {key}, ms, streams, rnk FROM (
            SELECT user_id, {key}, ms, streams,
                   ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ms DESC, {key}) AS rnk
            FROM ({grouped}) grouped
        ) ranked WHERE rnk <= {limit}
    """
    columns = [n.strip() for n in names.split(",")]
    if key == "track_id":
        picked = ", ".join(f"t.{n}" for n in columns)
        return f"""
            SELECT r.user_id, r.track_id, {picked}, r.ms, r.streams, r.rnk
            FROM ({ranked}) r LEFT JOIN tracks t ON r.track_id = t.track_id
        """
    picked = ", ".join(f"MAX(t.{n}) AS {n}" for n in columns)
    return f"""
        SELECT r.user_id, r.{key}, {picked}, r.ms, r.streams, r.rnk
        FROM ({ranked}) r
        JOIN user_tracks u ON u.user_id = r.user_id AND u.{key} = r.{key}
        LEFT JOIN tracks t ON u.track_id = t.track_id
        GROUP BY r.user_id, r.{key}, r.ms, r.streams, r.rnk
    """


def group_rows(table: pa.Table, build: Callable[[dict[str, Any]], Any]) -> dict[str, list[Any]]:
    """Rows of ``table`` grouped by user, in table order, each made into a value by ``build``."""
    grouped: dict[str, list[Any]] = {}
    for row in table.sort_by([("user_id", "ascending"), ("rnk", "ascending")]).to_pylist():
        grouped.setdefault(row["user_id"], []).append(build(row))
    return grouped
