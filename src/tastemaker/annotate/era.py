"""The era of a track: the decade of its release date ("80s", "00s", as playlist titles say it)."""

from __future__ import annotations

from collections.abc import Sequence

from tastemaker.annotate.labeler import Label, TrackContext

NAME = "era"
FULL_DATE = 0.95
YEAR_ONLY = 0.9
"""A bare year is as good for a decade, but more often a re-release's or a guess."""


def decade(release_date: str) -> str | None:
    year = release_date[:4]
    if len(year) < 4 or not year.isdigit() or not 1900 <= int(year) <= 2099:
        return None
    return f"{year[2]}0s"


class EraLabeler:
    name = NAME

    def __init__(self) -> None:
        self.skipped: dict[str, str] = {}

    def labels(self, tracks: Sequence[TrackContext]) -> list[list[Label]]:
        out: list[list[Label]] = []
        for context in tracks:
            date = context.track.release_date if context.track else None
            value = decade(date) if date else None
            if value is None or date is None:
                self.skipped[context.track_id] = f"no usable release date ({date!r})"
                out.append([])
                continue
            confidence = FULL_DATE if len(date) >= 7 else YEAR_ONLY
            out.append([Label("era", value, confidence, NAME, f"released {date}")])
        return out
