"""Both pipelines on the same file: ours, and the baseline a developer gets from plain librosa.

The reference stays one short recipe, apart from the scoring, so that a reader can check it is a fair
baseline (and ``audio_speed`` times the same key estimator); ``audio_accuracy``'s docstring says which
librosa call stands for which of our features.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import audio_data as data
from benchmarks._harness import log

SR = 22050
# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
KS_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KS_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def ks_key(chroma_mean: np.ndarray[Any, np.dtype[np.floating[Any]]]) -> tuple[int, int]:
    """Krumhansl–Schmuckler: the (tonic, mode) whose rotated profile correlates best with the mean chroma."""
    best = (-2.0, 0, 1)
    for tonic in range(12):
        for mode, profile in ((1, KS_MAJOR), (0, KS_MINOR)):
            r = float(np.corrcoef(chroma_mean, np.roll(profile, tonic))[0, 1])
            if r > best[0]:
                best = (r, tonic, mode)
    return best[1], best[2]


def librosa_reference(path: str) -> dict[str, Any]:
    """What plain librosa says about one file: tempi, beat times, key, mean RMS."""
    import librosa
    from scipy.stats import uniform

    y, sr = librosa.load(path, sr=SR, mono=True)
    onset_env = librosa.onset.onset_strength(y=y, sr=sr)
    bt_tempo, beats = librosa.beat.beat_track(onset_envelope=onset_env, sr=sr, units="time")
    tempo = librosa.feature.tempo(onset_envelope=onset_env, sr=sr, prior=uniform(30, 270))
    tonic, mode = ks_key(librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1))
    return {
        "beat_track_tempo": float(np.atleast_1d(bt_tempo)[0]),
        "tempo": float(tempo[0]),
        "beats": [round(float(b), 4) for b in beats],
        "key": data.key_name(tonic, mode),
        "rms": float(librosa.feature.rms(y=y).mean()),
    }


# -- measuring one file ------------------------------------------------------------------------------------


@dataclass
class Measured:
    """Ours (features + beat times, or the error) and librosa's numbers for one file."""

    path: str
    ours: dict[str, Any] | None = None
    ours_beats: list[float] = field(default_factory=list)
    ours_error: str = ""
    ref: dict[str, Any] = field(default_factory=dict)
    ours_s: float = 0.0

    @property
    def key(self) -> str | None:
        if self.ours is None:
            return None
        return "X" if self.ours["key"] < 0 else data.key_name(self.ours["key"], self.ours["mode"])


def measure(path: str) -> Measured:
    """Both pipelines on one file; an exception from ours is recorded, not raised, so the librosa
    half still runs (and a half-written pipeline still gets a report)."""
    import msgspec

    from tastemaker.audio.pipeline import analyze_path

    warnings.simplefilter("ignore")
    result = Measured(path)
    started = time.perf_counter()
    try:
        audio = analyze_path(path, with_analysis=True)
        result.ours = msgspec.to_builtins(audio.features)
        if audio.analysis is not None:
            result.ours_beats = [round(b.start, 4) for b in audio.analysis.beats]
    except Exception as exc:  # any failure of the system under test is a finding, not a crash
        result.ours_error = f"{type(exc).__name__}: {exc}"[:300]
    result.ours_s = time.perf_counter() - started
    result.ref = librosa_reference(path)
    return result


def measure_all(paths: Sequence[Path], *, jobs: int) -> dict[str, Measured]:
    started = time.monotonic()
    out: dict[str, Measured] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for index, measured in enumerate(pool.map(measure, [str(p) for p in paths]), 1):
            out[measured.path] = measured
            if index % 25 == 0 or index == len(paths):
                log(f"measured {index}/{len(paths)} files in {time.monotonic() - started:.0f} s")
    return out


def feature(m: Measured, name: str) -> float | None:
    """None where ours failed on the file, so its cell reads n/a instead of the report stopping."""
    return None if m.ours is None else float(m.ours[name])
