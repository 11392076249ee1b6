"""Top 5 artists by minutes; the top ``KEPT`` are kept for the uniqueness axis of the personality."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from tastemaker.wrapped.stats._rows import group_rows, minutes, ranked_sql

NAME = "top_artists"
SHOWN = 5
KEPT = 20


def queries(year: int) -> dict[str, str]:
    return {
        "ranked": ranked_sql(key="artist_id", names="artist_name", limit=KEPT, where="artist_id IS NOT NULL"),
        # listeners of each artist by whole minutes: the population the "top X %" rank is taken in
        "histogram": """
            SELECT artist_id, CAST(FLOOR(ms / 60000.0) AS BIGINT) AS minute, COUNT(*) AS listeners
            FROM (SELECT user_id, artist_id, SUM(ms) AS ms FROM user_tracks WHERE artist_id IS NOT NULL
                  GROUP BY user_id, artist_id) per_listener
            GROUP BY artist_id, CAST(FLOOR(ms / 60000.0) AS BIGINT)
        """,
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    grouped = group_rows(
        results["ranked"],
        lambda r: {
            "rank": int(r["rnk"]),
            "artist_id": r["artist_id"],
            "name": r["artist_name"] or r["artist_id"],
            "minutes": minutes(int(r["ms"])),
            "streams": int(r["streams"]),
            "ms": int(r["ms"]),
        },
    )
    for user_id, rows in grouped.items():
        partial = partials.setdefault(user_id, {})
        partial["artist_ms"] = [[r["artist_id"], r.pop("ms")] for r in rows]
        partial["top_artists"] = rows[:SHOWN]
