"""The most-streamed track of each month."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

NAME = "month_top"


def queries(year: int) -> dict[str, str]:
    return {
        "ranked": """
            SELECT user_id, month, track_id, track_name, artist_name, streams FROM (
                SELECT user_id, month, track_id, track_name, artist_name, streams,
                       ROW_NUMBER() OVER (
                           PARTITION BY user_id, month ORDER BY streams DESC, ms DESC, track_id
                       ) AS rnk
                FROM (SELECT user_id, month, track_id, MAX(track_name) AS track_name,
                             MAX(artist_name) AS artist_name, SUM(stream) AS streams, SUM(ms) AS ms
                      FROM plays GROUP BY user_id, month, track_id) per_track
            ) ranked WHERE rnk = 1
        """
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    table = results["ranked"].sort_by([("user_id", "ascending"), ("month", "ascending")])
    for row in table.to_pylist():
        months = partials.setdefault(row["user_id"], {}).setdefault("top_track_by_month", [])
        assert isinstance(months, list)
        months.append(
            {
                "month": int(row["month"]),
                "track_id": row["track_id"],
                "name": row["track_name"] or row["track_id"],
                "artist_name": row["artist_name"] or "",
                "streams": int(row["streams"]),
            }
        )
