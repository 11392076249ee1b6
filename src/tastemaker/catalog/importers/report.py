"""What an import says about itself: the problems it met and the totals it reports.

Kept apart from the readers and the runner so that both can name these types without importing
each other, and so that the CLI can print a report without knowing which source produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tastemaker.errors import TastemakerError

#: Problem kinds that are counted as "skipped" (not music, or not meant to be imported) rather
#: than as "invalid" (music rows that failed validation).
SKIP_KINDS = ("podcast", "no_track", "private_session")


class ImportFailed(TastemakerError):
    """The export as a whole cannot be read: missing path, unknown format, broken JSON or zip.

    Row-level trouble never raises this; it is counted in the ``ImportReport`` instead, so that one
    bad row among a hundred thousand does not cost the user the other rows.
    """


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One source row that did not become an event, and why.

    ``kind`` is ``"invalid"`` for a music row that failed validation, or one of ``SKIP_KINDS`` for a
    row that is deliberately not imported. ``where`` names the file and the row (``file.json[12]``,
    ``file.jsonl:13``) so the user can look at it.
    """

    kind: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(slots=True)
class ImportReport:
    """Totals of one import.

    - ``read``: source rows looked at (music or not).
    - ``sent``: valid events handed to the log.
    - ``new``: of those, events the log did not hold before (``sent - new`` were already there,
      from an earlier import of the same file, or repeated within this one).
    - ``skipped``: rows not imported on purpose, by reason (``podcast``, ``no_track``,
      ``private_session``).
    - ``invalid``: music rows that failed validation; ``problems`` holds the first few messages.
    """

    source: str
    read: int = 0
    sent: int = 0
    new: int = 0
    invalid: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        """Valid events the log already held (re-imports are no-ops, by event id)."""
        return self.sent - self.new

    @property
    def skipped_podcasts(self) -> int:
        return self.skipped.get("podcast", 0)

    def summary(self) -> str:
        """One line for a terminal, e.g. after ``tastemaker import``."""
        parts = [f"{self.source}: read {self.read:,} rows", f"{self.new:,} new events"]
        if self.duplicates:
            parts.append(f"{self.duplicates:,} already imported")
        parts.extend(f"{count:,} skipped ({reason})" for reason, count in sorted(self.skipped.items()))
        if self.invalid:
            parts.append(f"{self.invalid:,} invalid")
        return ", ".join(parts)
