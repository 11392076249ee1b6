"""Minutes listened, streams (plays of 30 s or more), and how many tracks and artists."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from tastemaker.wrapped.stats._rows import minutes

NAME = "minutes"


def queries(year: int) -> dict[str, str]:
    return {
        "totals": """
            SELECT user_id, SUM(ms) AS ms, SUM(streams) AS streams,
                   COUNT(track_id) AS tracks, COUNT(DISTINCT artist_id) AS artists
            FROM user_tracks GROUP BY user_id
        """
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    for row in results["totals"].to_pylist():
        partial = partials.setdefault(row["user_id"], {})
        partial["ms"] = int(row["ms"])
        partial["minutes_listened"] = minutes(int(row["ms"]))
        partial["streams"] = int(row["streams"])
        partial["distinct_tracks"] = int(row["tracks"])
        partial["distinct_artists"] = int(row["artists"])
