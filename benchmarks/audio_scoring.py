"""How an estimate is scored against its label, and the report the scores go into.

The metrics are the field's standard ones, so our numbers compare with published ones: tempo Acc1
(within 4 %) and Acc2 (also at ×2 ×3 ×½ ×⅓), MIREX's weighted key score, and ``mir_eval``'s beat
F-measure (±70 ms) after ``trim_beats`` (drops beats before 5 s, as mir_eval recommends) on clips of
at least 15 s. The targets live here too, next to the metrics they bound.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks import audio_data as data
from benchmarks._harness import ratio

TARGET_ACC2 = 0.95
TARGET_ACC1 = 0.80
TARGET_KEY = 0.80
SPEECH_MIN = 0.66
MUSIC_MAX = 0.33
INSTRUMENTAL_THRESHOLD = 0.5
TEMPO_TOLERANCE = 0.04
OCTAVE_FACTORS = (1.0, 2.0, 3.0, 1 / 2, 1 / 3)
RATIO_NAMES = {
    1.0: "×1",
    2.0: "×2",
    0.5: "×1/2",
    3.0: "×3",
    1 / 3: "×1/3",
    1.5: "×3/2",
    2 / 3: "×2/3",
    4.0: "×4",
    0.25: "×1/4",
}
TRIM_MIN_S = 15.0


def acc1(estimate: float | None, references: Iterable[float]) -> bool:
    return estimate is not None and any(abs(estimate - r) <= TEMPO_TOLERANCE * r for r in references)


def acc2(estimate: float | None, references: Iterable[float]) -> bool:
    return any(acc1(estimate, [r * f]) for r in references for f in OCTAVE_FACTORS)


def ratio_class(estimate: float | None, reference: float) -> str:
    """Which metrical level a tempo landed on: "×1", "×2", "×3/2", … (within 4 %), "other" or "none"."""
    if estimate is None:
        return "none"
    return next((name for f, name in RATIO_NAMES.items() if acc1(estimate, [reference * f])), "other")


def key_class(reference: str, estimate: str | None) -> str:
    """MIREX's categories: exact, fifth, relative, parallel, other."""
    import mir_eval

    if estimate is None:
        return "none"
    score = float(mir_eval.key.weighted_score(reference, estimate))
    return {1.0: "exact", 0.5: "fifth", 0.3: "relative", 0.2: "parallel"}.get(score, "other")


def key_relation(reference: str, estimate: str | None) -> str:
    """How a wrong key relates to the true one: "dominant" (+7, same mode), "subdominant", "relative",
    "parallel", or the interval and modes ("+1 st, major->minor"). Exact keys give "exact"."""
    if estimate is None or estimate == "X":
        return "no key"
    (ref_pc, ref_mode), (est_pc, est_mode) = _parse_key(reference), _parse_key(estimate)
    step = (est_pc - ref_pc) % 12
    if step == 0 and ref_mode == est_mode:
        return "exact"
    if ref_mode == est_mode and step in (5, 7):
        return "dominant (+7)" if step == 7 else "subdominant (+5)"
    if ref_mode != est_mode and step == (9 if ref_mode == "major" else 3):
        return "relative"
    if step == 0:
        return "parallel"
    return f"{step:+d} st, {ref_mode}->{est_mode}" if ref_mode != est_mode else f"{step:+d} st, same mode"


def _parse_key(name: str) -> tuple[int, str]:
    """``"Eb minor"`` -> ``(3, "minor")``. The tonic goes through the parser that labels the rendered set
    from ABC ``K:`` fields, so every spelling mir_eval accepts ("D#", "Eb") meets the same pitch class."""
    tonic, mode = name.split()
    parsed = data.parse_key(tonic)
    if isinstance(parsed, str):
        raise ValueError(f"tonic {tonic!r}: {parsed}")
    return parsed[0], mode


def key_score(reference: str, estimate: str | None) -> float:
    import mir_eval

    return 0.0 if estimate is None else float(mir_eval.key.weighted_score(reference, estimate))


def beat_f(reference: Sequence[float], estimate: Sequence[float], *, duration_s: float) -> float:
    import mir_eval

    ref, est = np.asarray(reference, dtype=float), np.asarray(estimate, dtype=float)
    if duration_s >= TRIM_MIN_S:
        ref, est = mir_eval.beat.trim_beats(ref), mir_eval.beat.trim_beats(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(mir_eval.beat.f_measure(ref, est))


def share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else float("nan")


def stated_key_score(stated: str, estimate: str | None) -> float:
    """MIREX score against a stated key; a bare tonic ("F") scores the better of its two modes."""
    if " " in stated:
        return key_score(stated, estimate)
    return max(key_score(f"{stated} {mode}", estimate) for mode in ("major", "minor"))


# -- cells and the report -----------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or value != value else f"{value:.{digits}f}"


def pct(value: float) -> str:
    return "n/a" if value != value else f"{100 * value:.1f} %"


def tally(flags: Sequence[bool]) -> str:
    """A count such as ``3/4``: where every case must pass, the count says more than a share."""
    return f"{sum(flags)}/{len(flags)}"


HEADLINE = ("metric", "target", "ours", "librosa", "met?", "ratio")


def headline(
    metric: str, target: str, ours: float, base: float, met: bool | None, *, as_pct: bool
) -> list[str]:
    """One headline row; the ratio is n/a where either side is NaN (no data, or ours failed)."""
    show: Callable[[float], str] = pct if as_pct else fmt
    met_text = "n/a" if met is None or ours != ours else ("yes" if met else "NO")
    ratio_text = ratio(ours, base) if ours == ours and base == base else "n/a"
    return [metric, target, show(ours), show(base), met_text, ratio_text]


@dataclass
class Report:
    """What the sections found: headline rows, detail tables, JSON, and which targets were met."""

    headline: list[list[str]] = field(default_factory=list)
    grids: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    met: dict[str, bool] = field(default_factory=dict)

    def grid(self, title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.grids.append((title, list(header), [list(r) for r in rows]))
