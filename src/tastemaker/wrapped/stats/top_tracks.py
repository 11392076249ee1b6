"""Top 5 tracks by minutes."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from tastemaker.wrapped.stats._rows import group_rows, minutes, ranked_sql

NAME = "top_tracks"


def queries(year: int) -> dict[str, str]:
    return {"ranked": ranked_sql(key="track_id", names="track_name, artist_name", limit=5)}


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    grouped = group_rows(
        results["ranked"],
        lambda r: {
            "rank": int(r["rnk"]),
            "track_id": r["track_id"],
            "name": r["track_name"] or r["track_id"],
            "artist_name": r["artist_name"] or "",
            "minutes": minutes(int(r["ms"])),
            "streams": int(r["streams"]),
        },
    )
    for user_id, rows in grouped.items():
        partials.setdefault(user_id, {})["top_tracks"] = rows
