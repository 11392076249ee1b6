"""When listeners listen: how many sessions a day, and when each starts and must end.

Session counts are Poisson around the listener's activity (a little higher at weekends); start times
follow a local time-of-day curve (quiet at night, a morning commute, an evening peak) shifted by the
listener's time zone. A listener's sessions never overlap: each must end a minute before the next one
starts, including the first session of the following day.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate

from tastemaker.simulate.seeding import uniforms16

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MIN_GAP_MS = 20 * 60_000  # sessions starting closer than this merge into one
END_GAP_MS = 60_000  # a session ends at least this long before the next one starts
MAX_SESSIONS = 15
# Relative chance of a session starting in each local hour, 00:00 to 23:00.
HOUR_WEIGHTS = (
    0.6, 0.35, 0.2, 0.15, 0.15, 0.3, 0.8, 1.8, 2.6, 2.2, 1.8, 1.8,
    2.2, 2.0, 1.8, 1.9, 2.2, 2.8, 3.0, 3.1, 3.0, 2.6, 1.9, 1.2,
)  # fmt: skip
_HOUR_CUM = tuple(accumulate(HOUR_WEIGHTS))


def _poisson(mean: float, u: float) -> int:
    """Inverse-CDF Poisson draw from one uniform."""
    p = math.exp(-mean)
    k, cum = 0, p
    while u > cum and k < MAX_SESSIONS:
        k += 1
        p *= mean / k
        cum += p
    return k


def _local_ms(u: float) -> int:
    """A local time of day in ms, from one uniform through the hourly curve."""
    target = u * _HOUR_CUM[-1]
    hour = min(bisect_right(_HOUR_CUM, target), 23)
    below = _HOUR_CUM[hour - 1] if hour else 0.0
    return int((hour + (target - below) / HOUR_WEIGHTS[hour]) * HOUR_MS)


def session_starts(seed: int, index: int, day: int, weekday: int, habits: tuple[int, float]) -> list[int]:
    """Start times of a listener's sessions on ``day``, in ms after midnight UTC, sorted, spaced out;
    ``habits`` is the listener's (time zone in hours, mean sessions per day)."""
    tz_hours, activity = habits
    u = uniforms16(seed, "day", index, day)
    count = _poisson(activity * (1.2 if weekday >= 5 else 1.0), u[0])
    starts = sorted((_local_ms(u[1 + i]) - tz_hours * HOUR_MS) % DAY_MS for i in range(count))
    spaced: list[int] = []
    for start in starts:
        if not spaced or start - spaced[-1] >= MIN_GAP_MS:
            spaced.append(start)
    return spaced


def day_slots(
    seed: int, index: int, day: int, weekday: int, habits: tuple[int, float]
) -> list[tuple[int, int]]:
    """``(start_ms, deadline_ms)`` per session on ``day``; the last one must end before the next day's
    first session (or by 06:00 the next day), so that days never overlap either."""
    starts = session_starts(seed, index, day, weekday, habits)
    if not starts:
        return []
    following = session_starts(seed, index, day + 1, (weekday + 1) % 7, habits)
    last_end = DAY_MS + min(following[0] if following else DAY_MS, 6 * HOUR_MS)
    ends = [*starts[1:], last_end]
    return [(start, end - END_GAP_MS) for start, end in zip(starts, ends, strict=True)]
