"""Spotify's recommendation tunables: ``min_``, ``max_`` and ``target_`` for every audio feature.

``min_X``/``max_X`` filter the candidates (inclusive bounds); ``target_X`` re-ranks them by closeness
to the target. Values are checked against each feature's range, so that ``min_energy=5`` (energy is
0–1) is a 400 that says so rather than an empty list. A track that lacks a feature fails every
``min``/``max`` on it; with only ``target_`` values it stays, ranked as the farthest (closeness 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

AUDIO_FEATURES = (
    "acousticness", "danceability", "energy", "instrumentalness", "liveness", "loudness",
    "speechiness", "tempo", "valence", "key", "mode", "time_signature",
)  # fmt: skip
"""Read from the track's stored audio features (``audio/records.py``)."""
CATALOG_FEATURES = ("duration_ms", "popularity")
"""Read from the catalog track (``Track.duration_ms``, ``Track.popularity`` 0–100)."""
FEATURES = AUDIO_FEATURES + CATALOG_FEATURES
COLUMN = {name: index for index, name in enumerate(FEATURES)}
INTEGER_FEATURES = frozenset({"key", "mode", "time_signature", "duration_ms", "popularity"})
PREFIXES = ("min", "max", "target")

RANGES: dict[str, tuple[float, float]] = {
    "acousticness": (0.0, 1.0),
    "danceability": (0.0, 1.0),
    "energy": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "liveness": (0.0, 1.0),
    "loudness": (-60.0, 0.0),
    "speechiness": (0.0, 1.0),
    "tempo": (0.0, 250.0),
    "valence": (0.0, 1.0),
    "key": (0.0, 11.0),
    "mode": (0.0, 1.0),
    "time_signature": (3.0, 7.0),
    "duration_ms": (0.0, 3_600_000.0),
    "popularity": (0.0, 100.0),
}
"""Accepted values, and the span that ``target_`` closeness is measured against (loudness in dB,
tempo in BPM, duration in ms). Loudness outside −60..0 dB is accepted but clipped for closeness."""
UNBOUNDED = frozenset({"loudness"})


class InvalidTunables(ValueError):
    """One or more query parameters are wrong; ``errors`` has one item per problem, with its loc."""

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.errors = errors


@dataclass(frozen=True)
class Tunables:
    minimum: dict[str, float] = field(default_factory=dict)
    maximum: dict[str, float] = field(default_factory=dict)
    target: dict[str, float] = field(default_factory=dict)

    @property
    def filtered(self) -> set[str]:
        """Features with a ``min`` or a ``max``."""
        return set(self.minimum) | set(self.maximum)

    @property
    def used(self) -> set[str]:
        return self.filtered | set(self.target)

    def mask(self, values: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        """Rows of ``values`` (tracks × ``FEATURES``, NaN = unknown) that pass every min and max."""
        keep = np.ones(len(values), dtype=bool)
        for name, low in self.minimum.items():
            keep &= values[:, COLUMN[name]] >= low  # NaN compares false: unknown fails
        for name, high in self.maximum.items():
            keep &= values[:, COLUMN[name]] <= high
        return keep

    def closeness(self, values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Per row, 1 − the mean distance to the targets, each distance a fraction of the feature's
        span (so 0..1); an unknown value counts as the farthest. All ones without targets."""
        total = np.zeros(len(values), dtype=np.float32)
        if not self.target:
            return total + 1.0
        for name, goal in self.target.items():
            low, high = RANGES[name]
            column = np.clip(values[:, COLUMN[name]], low, high)
            near = 1.0 - np.minimum(1.0, np.abs(column - goal) / (high - low))
            total += np.nan_to_num(near, nan=0.0).astype(np.float32)
        return (total / len(self.target)).astype(np.float32)


def is_tunable(name: str) -> bool:
    prefix, _, _feature = name.partition("_")
    return prefix in PREFIXES and bool(_feature)


def _parse_value(name: str, feature: str, raw: str) -> tuple[float | None, dict[str, Any] | None]:
    loc: list[str | int] = ["query", name]
    kind = "an integer" if feature in INTEGER_FEATURES else "a number"
    try:
        value = float(int(raw)) if feature in INTEGER_FEATURES else float(raw)
    except ValueError:
        return None, {"loc": loc, "type": "not_a_number", "msg": f"{name} = {raw!r}: expected {kind}"}
    if not math.isfinite(value):
        return None, {"loc": loc, "type": "not_a_number", "msg": f"{name} = {raw!r}: expected {kind}"}
    low, high = RANGES[feature]
    if feature not in UNBOUNDED and not low <= value <= high:
        msg = f"{name} = {raw}: {feature} is between {low:g} and {high:g}"
        return None, {"loc": loc, "type": "out_of_range", "msg": msg}
    return value, None


def parse_tunables(params: Mapping[str, str]) -> Tunables:
    """The tunables among query ``params`` (other names are ignored); ``InvalidTunables`` lists every
    unknown feature, bad value and ``min`` above ``max`` at once."""
    tunables = Tunables()
    errors: list[dict[str, Any]] = []
    by_prefix = {"min": tunables.minimum, "max": tunables.maximum, "target": tunables.target}
    for name, raw in params.items():
        if not is_tunable(name):
            continue
        prefix, _, feature = name.partition("_")
        if feature not in RANGES:
            msg = f"{name}: no audio feature {feature!r}; tunable features are {', '.join(FEATURES)}"
            errors.append({"loc": ["query", name], "type": "unknown_feature", "msg": msg})
            continue
        value, error = _parse_value(name, feature, raw.strip())
        if error is not None:
            errors.append(error)
        elif value is not None:
            by_prefix[prefix][feature] = value
    for feature, low in tunables.minimum.items():
        high = tunables.maximum.get(feature)
        if high is not None and low > high:
            msg = f"min_{feature} = {low:g} is above max_{feature} = {high:g}: nothing could match"
            errors.append({"loc": ["query", f"min_{feature}"], "type": "min_above_max", "msg": msg})
    if errors:
        problems = "problem" if len(errors) == 1 else "problems"
        msg = f"{len(errors)} {problems} with the tunables: {errors[0]['msg']}"
        raise InvalidTunables(msg, errors)
    return tunables
