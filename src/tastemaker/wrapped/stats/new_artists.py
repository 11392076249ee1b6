"""Artists first heard this year: the year's plays joined with the listener's earlier history.

This is the job's user-keyed join of two data sets (this year, the years before), which the
Sort-Merge-Bucket layout lets every engine do bucket by bucket without a shuffle.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from tastemaker.wrapped.stats._rows import group_rows, minutes

NAME = "new_artists"
EXAMPLES = 3


def queries(year: int) -> dict[str, str]:
    return {
        "ranked": """
            SELECT user_id, artist_id, artist_name, ms, streams, rnk, artists, new_ms FROM (
                SELECT user_id, artist_id, artist_name, ms, streams,
                       ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ms DESC, artist_id) AS rnk,
                       COUNT(*) OVER (PARTITION BY user_id) AS artists,
                       SUM(ms) OVER (PARTITION BY user_id) AS new_ms
                FROM (
                    SELECT p.user_id, p.artist_id, MAX(p.artist_name) AS artist_name,
                           SUM(p.ms) AS ms, SUM(p.stream) AS streams
                    FROM plays p LEFT JOIN known_artists k
                      ON p.user_id = k.user_id AND p.artist_id = k.artist_id
                    WHERE p.artist_id IS NOT NULL AND k.artist_id IS NULL
                    GROUP BY p.user_id, p.artist_id
                ) new_to_user
            ) ranked WHERE rnk <= 3
        """
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    table = results["ranked"]
    totals = {
        row["user_id"]: (int(row["artists"]), int(row["new_ms"]))
        for row in table.filter(pa.compute.equal(table.column("rnk"), 1)).to_pylist()
    }
    grouped = group_rows(
        table,
        lambda r: {
            "rank": int(r["rnk"]),
            "artist_id": r["artist_id"],
            "name": r["artist_name"] or r["artist_id"],
            "minutes": minutes(int(r["ms"])),
            "streams": int(r["streams"]),
        },
    )
    for user_id, rows in grouped.items():
        count, new_ms = totals[user_id]
        partials.setdefault(user_id, {})["new_artists"] = {"count": count, "new_ms": new_ms, "examples": rows}
