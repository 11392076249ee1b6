"""The most-streamed track of each month."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

NAME = "month_top"


def queries(year: int) -> dict[str, str]:
    """The winner by most streams, then most ms, then the smallest track_id: one aggregate per key in
    turn (MAX, MAX, MIN) instead of a window that sorts every (user, month, track) row."""
    per_track = (
        "SELECT user_id, month, track_id, SUM(stream) AS streams, SUM(ms) AS ms FROM plays "
        "GROUP BY user_id, month, track_id"
    )
    return {
        "ranked": f"""
            WITH per_track AS ({per_track}),
            most_streams AS (
                SELECT user_id, month, MAX(streams) AS streams FROM per_track GROUP BY user_id, month
            ),
            most_ms AS (
                SELECT p.user_id, p.month, p.streams, MAX(p.ms) AS ms
                FROM per_track p JOIN most_streams b
                  ON p.user_id = b.user_id AND p.month = b.month AND p.streams = b.streams
                GROUP BY p.user_id, p.month, p.streams
            ),
            winner AS (
                SELECT p.user_id, p.month, MIN(p.track_id) AS track_id, p.streams
                FROM per_track p JOIN most_ms b
                  ON p.user_id = b.user_id AND p.month = b.month AND p.streams = b.streams AND p.ms = b.ms
                GROUP BY p.user_id, p.month, p.streams
            )
            SELECT w.user_id, w.month, w.track_id, t.track_name, t.artist_name, w.streams
            FROM winner w LEFT JOIN tracks t ON w.track_id = t.track_id
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
