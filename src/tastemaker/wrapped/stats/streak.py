"""The longest run of consecutive days with listening (gaps and islands: day - row number is constant
along a run), the earliest such run on ties."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import pyarrow as pa

NAME = "streak"
EPOCH = date(1970, 1, 1)


DAYS = 131_072
"""2**17, above every ``day_number`` until the year 2328: ``days * DAYS + (DAYS - 1 - first_day)`` orders
runs by length, then the earliest, in one integer (far below 2**63), decoded in ``collect``."""


def queries(year: int) -> dict[str, str]:
    return {
        "longest": f"""
            SELECT user_id, MAX(days * {DAYS} + ({DAYS - 1} - first_day)) AS best FROM (
                SELECT user_id, COUNT(*) AS days, MIN(day_number) AS first_day FROM (
                    SELECT user_id, day_number,
                           day_number
                           - ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY day_number) AS island
                    FROM (SELECT DISTINCT user_id, day_number FROM plays) listening_days
                ) numbered GROUP BY user_id, island
            ) islands GROUP BY user_id
        """
    }


def collect(results: Mapping[str, pa.Table], partials: dict[str, dict[str, object]]) -> None:
    for row in results["longest"].to_pylist():
        days, first_day = divmod(int(row["best"]), DAYS)
        start = EPOCH + timedelta(days=DAYS - 1 - first_day)
        end = start + timedelta(days=days - 1)
        partials.setdefault(row["user_id"], {})["longest_streak"] = {
            "days": days,
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
