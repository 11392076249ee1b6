"""The day a listener streamed one track the most times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import pyarrow as pa

NAME = "replayed_day"
EPOCH = date(1970, 1, 1)


def queries(year: int) -> dict[str, str]:
    return {
        "top": """
            SELECT user_id, day_number, track_id, track_name, artist_name, streams FROM (
                SELECT user_id, day_number, track_id, track_name, artist_name, streams,
                       ROW_NUMBER() OVER (
                           PARTITION BY user_id ORDER BY streams DESC, day_number, track_id
                       ) AS rnk
                FROM (SELECT user_id, day_number, track_id, MAX(track_name) AS track_name,
                             MAX(artist_name) AS artist_name, SUM(stream) AS streams
                      FROM plays GROUP BY user_id, day_number, track_id) per_day
            ) ranked WHERE rnk = 1 AND streams > 1
        """
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    for row in results["top"].to_pylist():
        partials.setdefault(row["user_id"], {})["most_replayed_day"] = {
            "date": (EPOCH + timedelta(days=int(row["day_number"]))).isoformat(),
            "track_id": row["track_id"],
            "name": row["track_name"] or row["track_id"],
            "artist_name": row["artist_name"] or "",
            "streams": int(row["streams"]),
        }
