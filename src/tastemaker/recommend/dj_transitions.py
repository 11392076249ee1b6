"""How well one track flows into the next: the DJ's transition cost, 0 (seamless) to 1 (a jolt).

With audio features on both tracks (``audio/records.load_features``)::

    cost = 0.4 · tempo + 0.3 · key + 0.3 · energy

- **tempo**: ``|log2(b / a)|`` after taking the closest of ``b``, ``2b`` and ``b / 2`` (a DJ mixes
  a 70 BPM track into a 140 BPM one at double time), divided by ``log2(1 + TEMPO_SPAN)``, capped
  at 1: tracks 16 % apart or more cost the full 1, 4 % apart about 0.26.
- **key** (harmonic mixing): both keys on the Camelot wheel. Neighbours on the circle of fifths
  (8B → 9B) and the relative major/minor (8B → 8A) are one step; the cost per number of steps is
  ``KEY_COST`` (same key 0, one step 0.2, two 0.6, further 0.8–1). An unknown key (``-1``) costs 0.5.
- **energy**: ``|Δenergy − step| / ENERGY_SPAN`` capped at 1, where ``step`` is the move the set
  wants (towards a context's target energy, else 0): energy should drift, not jump.

Without features on either track the cost falls back to taste distance in the ALS item space,
``(1 − cos(a, b)) / 2``; with neither, a neutral 0.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tastemaker.audio.model import AudioFeatures

TEMPO_SPAN = 0.16
ENERGY_SPAN = 0.3
KEY_COST = (0.0, 0.2, 0.6, 0.8, 1.0, 1.0, 1.0, 1.0)
WEIGHTS = {"tempo": 0.4, "key": 0.3, "energy": 0.3}
UNKNOWN = 0.5


@dataclass(frozen=True, slots=True)
class Sound:
    """What the DJ reads of a track's audio features: BPM, pitch class (0 = C, −1 unknown), mode
    (1 major, 0 minor) and energy (0–1)."""

    tempo: float
    key: int
    mode: int
    energy: float

    @classmethod
    def of(cls, features: AudioFeatures) -> Sound:
        return cls(tempo=features.tempo, key=features.key, mode=features.mode, energy=features.energy)


def camelot(*, key: int, mode: int) -> tuple[int, str] | None:
    """The Camelot code of a key: C major is (8, "B"), A minor (8, "A"); None when unknown.

    Examples:
        >>> camelot(key=0, mode=1), camelot(key=9, mode=0), camelot(key=7, mode=1)
        ((8, 'B'), (8, 'A'), (9, 'B'))
    """
    if not 0 <= key <= 11:
        return None
    major = key if mode == 1 else (key + 3) % 12  # a minor key sits beside its relative major
    return (7 * major + 7) % 12 + 1, "B" if mode == 1 else "A"


def key_steps(a: Sound, b: Sound) -> int | None:
    """Steps between two keys on the Camelot wheel (around the circle, plus one to change mode)."""
    first, second = camelot(key=a.key, mode=a.mode), camelot(key=b.key, mode=b.mode)
    if first is None or second is None:
        return None
    around = abs(first[0] - second[0])
    return min(around, 12 - around) + (first[1] != second[1])


def tempo_cost(a: float, b: float) -> float:
    """0 for the same tempo (or half/double), 1 for ``TEMPO_SPAN`` apart or more."""
    if a <= 0 or b <= 0:
        return UNKNOWN
    apart = min(abs(math.log2(b * factor / a)) for factor in (1.0, 2.0, 0.5))
    return min(1.0, apart / math.log2(1.0 + TEMPO_SPAN))


def key_cost(a: Sound, b: Sound) -> float:
    steps = key_steps(a, b)
    return UNKNOWN if steps is None else KEY_COST[steps]


def energy_cost(a: float, b: float, *, step: float = 0.0) -> float:
    return min(1.0, abs(b - a - step) / ENERGY_SPAN)


def sound_cost(a: Sound, b: Sound, *, energy_step: float = 0.0) -> float:
    """The feature-based cost of playing ``b`` right after ``a`` (see the module docstring)."""
    return (
        WEIGHTS["tempo"] * tempo_cost(a.tempo, b.tempo)
        + WEIGHTS["key"] * key_cost(a, b)
        + WEIGHTS["energy"] * energy_cost(a.energy, b.energy, step=energy_step)
    )


def vector_cost(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    """``(1 − cos) / 2`` between two ALS item vectors: 0 for the same direction, 1 for opposite."""
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norm == 0.0:
        return UNKNOWN
    return (1.0 - float(a @ b) / norm) / 2.0


def transition_cost(
    a: Sound | None,
    b: Sound | None,
    a_vector: npt.NDArray[np.float32] | None = None,
    b_vector: npt.NDArray[np.float32] | None = None,
    *,
    energy_step: float = 0.0,
) -> float:
    """Features when both tracks have them, else ALS item vectors, else ``UNKNOWN``."""
    if a is not None and b is not None:
        return sound_cost(a, b, energy_step=energy_step)
    if a_vector is not None and b_vector is not None:
        return vector_cost(a_vector, b_vector)
    return UNKNOWN
