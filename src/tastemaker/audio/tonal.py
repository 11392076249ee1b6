"""Pitch classes, key and mode.

Chroma comes from a semitone spectrum of a long (370 ms) window rather than a constant-Q transform,
with harmonic summation so that a note's overtones (its twelfth and seventeenth land on the fifth and
the major third) count toward the note that made them instead of toward other pitch classes. Key is
the best correlation of the duration-weighted pitch-class distribution with 24 rotated key profiles;
its margin over the runner-up is the confidence, and a flat distribution (speech, noise) gives -1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tastemaker.audio.spectral import PITCH_LOW_MIDI

Array = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float64]

# Albrecht & Shanahan (2013), derived from duration-weighted pitch-class distributions of a
# corpus of major and minor pieces: the kind of distribution we measure.
MAJOR_PROFILE = np.array([0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081])
MINOR_PROFILE = np.array([0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052])
HARMONICS = ((0, 1.0), (12, 0.6), (19, 0.4), (24, 0.3), (28, 0.2))
NO_KEY_CORRELATION = 0.25
NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass(frozen=True)
class Key:
    key: int
    """Pitch class of the tonic, -1 when the audio has no clear key."""
    mode: int
    """1 major, 0 minor."""
    key_confidence: float
    mode_confidence: float

    @property
    def name(self) -> str:
        return "none" if self.key < 0 else f"{NAMES[self.key]} {'major' if self.mode else 'minor'}"


def salience(pitch: Array) -> Array:
    """Harmonic summation over the semitone spectrum: each note collects its overtones' energy."""
    out = np.zeros_like(pitch)
    n = pitch.shape[1]
    for shift, weight in HARMONICS:
        if shift < n:
            out[:, : n - shift] += weight * pitch[:, shift:]
    # Keep only notes that are local peaks in their frame: overtones that did not also collect
    # a series of their own fall away.
    peaks = np.zeros_like(out, dtype=bool)
    peaks[:, 1:-1] = (out[:, 1:-1] >= out[:, :-2]) & (out[:, 1:-1] >= out[:, 2:])
    return np.where(peaks, out, 0.0).astype(np.float32)


def chroma(pitch: Array) -> Array:
    """(frames, 12), each frame summing to 1 (or 0 in silence), C = 0."""
    notes = salience(pitch)
    compressed = np.log1p(notes * (100.0 / (notes.max() + 1e-9)))
    classes = np.zeros((pitch.shape[0], 12), dtype=np.float32)
    for index in range(pitch.shape[1]):
        classes[:, (PITCH_LOW_MIDI + index) % 12] += compressed[:, index]
    totals = classes.sum(axis=1, keepdims=True)
    normalised: Array = np.divide(classes, totals, out=np.zeros_like(classes), where=totals > 0)
    return normalised


def key_profiles() -> FloatArray:
    """(24, 12): rows 0–11 major keys on C..B, rows 12–23 minor keys."""
    rows = [np.roll(MAJOR_PROFILE, tonic) for tonic in range(12)]
    rows += [np.roll(MINOR_PROFILE, tonic) for tonic in range(12)]
    return np.array(rows)


_PROFILES = key_profiles()
_CENTRED = _PROFILES - _PROFILES.mean(axis=1, keepdims=True)
_CENTRED /= np.linalg.norm(_CENTRED, axis=1, keepdims=True)


def correlations(distribution: FloatArray) -> FloatArray:
    centred = distribution - distribution.mean()
    norm = np.linalg.norm(centred)
    if norm == 0:
        return np.zeros(24)
    scores: FloatArray = _CENTRED @ (centred / norm)
    return scores


def estimate_key(chroma_frames: Array, weights: FloatArray | None = None) -> Key:
    """Key of a stretch of chroma frames; ``weights`` (e.g. frame loudness) bias toward louder frames."""
    if len(chroma_frames) == 0:
        return Key(-1, 1, 0.0, 0.0)
    distribution = (
        (chroma_frames * weights[:, None]).sum(axis=0) if weights is not None else chroma_frames.sum(0)
    )
    distribution = np.asarray(distribution, dtype=np.float64)
    scores = correlations(distribution)
    best = int(np.argmax(scores))
    ranked = np.sort(scores)[::-1]
    if ranked[0] < NO_KEY_CORRELATION:
        return Key(-1, 1, 0.0, 0.0)
    tonic, mode = best % 12, 1 if best < 12 else 0
    other_mode = scores[12:] if mode == 1 else scores[:12]
    key_confidence = float(np.clip((ranked[0] - ranked[1]) * 4.0 + (ranked[0] - 0.25), 0.0, 1.0))
    mode_confidence = float(np.clip((ranked[0] - other_mode.max()) * 4.0 + 0.2, 0.0, 1.0))
    return Key(tonic, mode, key_confidence, mode_confidence)


def harmonic_change(chroma_frames: Array) -> FloatArray:
    """How much the pitch-class distribution moves from one frame to the next (chord changes)."""
    if len(chroma_frames) < 2:
        return np.zeros(len(chroma_frames))
    change = np.abs(np.diff(chroma_frames, axis=0)).sum(axis=1)
    return np.concatenate([[0.0], change]).astype(np.float64)
