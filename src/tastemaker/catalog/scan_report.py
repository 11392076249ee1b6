"""What a library scan did: counts, speed, and the files it could not analyse, grouped by why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

EXAMPLES_PER_KIND = 3


@dataclass
class ScanReport:
    """Totals of one scan.

    - ``seen``: audio files found; ``new`` of them never scanned before, ``changed`` scanned before
      but different now (or ``--force``, or a new algorithm version), ``unchanged`` skipped.
    - ``catalogued``: files whose tags were read into tracks, artists and albums (``new + changed``).
    - ``analysed``: files whose audio features were stored; ``failed``: files that could not be
      analysed, by kind in ``failures`` with a few ``examples`` each ("path: detail").
    - ``audio_s``: seconds of audio analysed; ``wall_s``: how long the scan took.
    """

    seen: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    catalogued: int = 0
    analysed: int = 0
    failed: int = 0
    audio_s: float = 0.0
    wall_s: float = 0.0
    workers: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def files_per_s(self) -> float:
        """Files catalogued (and analysed, unless ``--no-analysis``) per second of the whole scan."""
        return self.catalogued / self.wall_s if self.wall_s > 0 else 0.0

    def add_failure(self, path: str, kind: str, detail: str) -> None:
        self.failed += 1
        self.failures[kind] += 1
        shown = self.examples.setdefault(kind, [])
        if len(shown) < EXAMPLES_PER_KIND:
            shown.append(f"{path}: {detail}")

    def summary(self) -> str:
        """Lines for a terminal: the totals, then one line per failure kind with its first few files."""
        lines = [
            f"{self.seen:,} audio files: {self.new:,} new, {self.changed:,} changed, "
            f"{self.unchanged:,} unchanged (skipped)",
            f"analysed {self.analysed:,}, failed {self.failed:,}, in {self.wall_s:.1f} s "
            f"({self.files_per_s:.1f} files/s, {self.audio_s / max(self.wall_s, 1e-9):.0f} s of audio per s, "
            f"{self.workers} worker{'s' if self.workers != 1 else ''})",
        ]
        for kind, count in self.failures.most_common():
            lines.append(f"  {kind}: {count:,}")
            lines.extend(f"    {example}" for example in self.examples.get(kind, []))
            if count > len(self.examples.get(kind, [])):
                lines.append(f"    … and {count - len(self.examples.get(kind, [])):,} more")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "catalogued": self.catalogued,
            "analysed": self.analysed,
            "failed": self.failed,
            "failures": dict(self.failures),
            "examples": self.examples,
            "audio_s": round(self.audio_s, 3),
            "wall_s": round(self.wall_s, 3),
            "files_per_s": round(self.files_per_s, 3),
            "workers": self.workers,
        }
