"""Top 5 genres by minutes, with each one's share of the minutes on tracks that have a genre.

A track with several genres counts fully towards each (as a listener would say "I listened to a lot
of rock" and "a lot of indie" of the same record), so shares are of the per-genre total.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from tastemaker.wrapped.stats._rows import group_rows, minutes

NAME = "top_genres"


def queries(year: int) -> dict[str, str]:
    return {
        "ranked": """
            SELECT user_id, genre, ms, total, rnk FROM (
                SELECT user_id, genre, ms, SUM(ms) OVER (PARTITION BY user_id) AS total,
                       ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ms DESC, genre) AS rnk
                FROM (SELECT user_id, genre, SUM(ms) AS ms FROM play_genres GROUP BY user_id, genre) g
            ) ranked WHERE rnk <= 5
        """
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    grouped = group_rows(
        results["ranked"],
        lambda r: {
            "rank": int(r["rnk"]),
            "genre": r["genre"],
            "minutes": minutes(int(r["ms"])),
            "share": round(int(r["ms"]) / int(r["total"]), 3) if r["total"] else 0.0,
        },
    )
    for user_id, rows in grouped.items():
        partials.setdefault(user_id, {})["top_genres"] = rows
