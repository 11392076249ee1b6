"""Top 5 albums by minutes (plays of tracks with no album are left out)."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from tastemaker.wrapped.stats._rows import group_rows, minutes, ranked_sql

NAME = "top_albums"


def queries(year: int) -> dict[str, str]:
    return {
        "ranked": ranked_sql(
            key="album_id",
            names="album_name, artist_name",
            limit=5,
            where="album_id IS NOT NULL",
        )
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    grouped = group_rows(
        results["ranked"],
        lambda r: {
            "rank": int(r["rnk"]),
            "album_id": r["album_id"],
            "name": r["album_name"] or r["album_id"],
            "artist_name": r["artist_name"] or "",
            "minutes": minutes(int(r["ms"])),
            "streams": int(r["streams"]),
        },
    )
    for user_id, rows in grouped.items():
        partials.setdefault(user_id, {})["top_albums"] = rows
