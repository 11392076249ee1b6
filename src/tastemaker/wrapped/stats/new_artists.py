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


NEW_TO_USER = """
    SELECT u.user_id, u.artist_id, SUM(u.ms) AS ms, SUM(u.streams) AS streams
    FROM user_tracks u LEFT JOIN known_artists k ON u.user_id = k.user_id AND u.artist_id = k.artist_id
    WHERE u.artist_id IS NOT NULL AND k.artist_id IS NULL
    GROUP BY u.user_id, u.artist_id
"""
"""The user-keyed join itself (the engines' benchmark shows its plan: no shuffle on Spark)."""


def queries(year: int) -> dict[str, str]:
    ranked = f"""
        SELECT user_id, artist_id, ms, streams, rnk, artists, new_ms FROM (
            SELECT user_id, artist_id, ms, streams,
                   ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ms DESC, artist_id) AS rnk,
                   COUNT(*) OVER (PARTITION BY user_id) AS artists,
                   SUM(ms) OVER (PARTITION BY user_id) AS new_ms
            FROM ({NEW_TO_USER}) new_to_user
        ) ranked WHERE rnk <= {EXAMPLES}
    """
    return {
        "ranked": f"""
            SELECT r.user_id, r.artist_id, MAX(t.artist_name) AS artist_name, r.ms, r.streams, r.rnk,
                   r.artists, r.new_ms
            FROM ({ranked}) r
            JOIN user_tracks u ON u.user_id = r.user_id AND u.artist_id = r.artist_id
            LEFT JOIN tracks t ON u.track_id = t.track_id
            GROUP BY r.user_id, r.artist_id, r.ms, r.streams, r.rnk, r.artists, r.new_ms
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
