"""The day a listener streamed one track the most times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import pyarrow as pa

NAME = "replayed_day"
EPOCH = date(1970, 1, 1)


DAYS = 131_072
"""2**17: ``day_number`` is below it until the year 2328, so ``streams * DAYS + (DAYS - 1 - day_number)``
orders by streams, then the earliest day, and stays far below 2**63 (streams < 2**46)."""


def queries(year: int) -> dict[str, str]:
    """The winner by most streams, then the earliest day, then the smallest track_id: one MAX over an
    integer key for the first two, MIN(track_id) among the rows that reach it (MIN skips a NULL id,
    which therefore only wins alone, as NULLS LAST had it). Only streams are grouped: a (day, track)
    without one cannot win, since the winner needs two."""
    return {
        "top": f"""
            WITH per_day AS (
                SELECT user_id, day_number, track_id, COUNT(*) AS streams
                FROM plays WHERE stream = 1 GROUP BY user_id, day_number, track_id
            ),
            best AS (SELECT user_id, MAX({_key("")}) AS best FROM per_day GROUP BY user_id),
            winner AS (
                SELECT p.user_id, p.day_number, MIN(p.track_id) AS track_id, p.streams
                FROM per_day p JOIN best b ON p.user_id = b.user_id AND {_key("p.")} = b.best
                WHERE p.streams > 1
                GROUP BY p.user_id, p.day_number, p.streams
            )
            SELECT w.user_id, w.day_number, w.track_id, t.track_name, t.artist_name, w.streams
            FROM winner w LEFT JOIN tracks t ON w.track_id = t.track_id
        """
    }


def _key(alias: str) -> str:
    return f"{alias}streams * {DAYS} + ({DAYS - 1} - {alias}day_number)"


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    for row in results["top"].to_pylist():
        partials.setdefault(row["user_id"], {})["most_replayed_day"] = {
            "date": (EPOCH + timedelta(days=int(row["day_number"]))).isoformat(),
            "track_id": row["track_id"],
            "name": row["track_name"] or row["track_id"],
            "artist_name": row["artist_name"] or "",
            "streams": int(row["streams"]),
        }
