"""How much of the year's listening went to new releases (this year or last): the newness axis."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

NAME = "newness"


def queries(year: int) -> dict[str, str]:
    return {
        "shares": f"""
            SELECT user_id, SUM(CASE WHEN release_year >= {year - 1} THEN ms ELSE 0 END) AS new_ms,
                   SUM(ms) AS dated_ms
            FROM user_tracks WHERE release_year IS NOT NULL GROUP BY user_id
        """
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    for row in results["shares"].to_pylist():
        partial = partials.setdefault(row["user_id"], {})
        partial["new_release_ms"] = int(row["new_ms"])
        partial["dated_ms"] = int(row["dated_ms"])
