"""The longest run of consecutive days with listening (gaps and islands: day - row number is constant
along a run), the earliest such run on ties."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import pyarrow as pa

NAME = "streak"
EPOCH = date(1970, 1, 1)


def queries(year: int) -> dict[str, str]:
    return {
        "longest": """
            SELECT user_id, days, first_day FROM (
                SELECT user_id, days, first_day,
                       ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY days DESC, first_day) AS rnk
                FROM (
                    SELECT user_id, COUNT(*) AS days, MIN(day_number) AS first_day FROM (
                        SELECT user_id, day_number,
                               day_number
                               - ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY day_number) AS island
                        FROM (SELECT DISTINCT user_id, day_number FROM plays) listening_days
                    ) numbered GROUP BY user_id, island
                ) islands
            ) ranked WHERE rnk = 1
        """
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    for row in results["longest"].to_pylist():
        start = EPOCH + timedelta(days=int(row["first_day"]))
        end = start + timedelta(days=int(row["days"]) - 1)
        partials.setdefault(row["user_id"], {})["longest_streak"] = {
            "days": int(row["days"]),
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
