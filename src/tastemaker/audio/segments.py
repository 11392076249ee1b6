"""Onsets, segments and sections: the time structure of Spotify's audio-analysis object.

Segments are the stretches between successive onsets (Spotify: "sound entities, relatively uniform in
timbre and harmony"), each with its loudness envelope, pitch classes and 12 timbre coefficients.
Sections are cut where the music's character changes: a novelty curve compares the average timbre,
harmony and loudness of the 8 s before each point with the 8 s after it, and its peaks, at least 8 s
apart, become boundaries.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tastemaker.audio.spectral import Spectra

FloatArray = npt.NDArray[np.float64]
MIN_SEGMENT_S = 0.08
MAX_SEGMENT_S = 1.5
SECTION_CONTEXT_S = 8.0
MIN_SECTION_S = 8.0


@dataclass(frozen=True)
class SegmentSpan:
    start: int
    end: int
    """Frame indices (end exclusive)."""
    confidence: float


def onset_frames(
    onset: npt.NDArray[np.float32], frame_rate: float
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Peaks of the onset envelope above an adaptive threshold, with a 0–1 strength each."""
    env = onset.astype(np.float64)
    if len(env) < 3 or env.max() <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    width = max(3, round(0.5 * frame_rate))
    local_mean = np.convolve(env, np.ones(width) / width, mode="same")
    threshold = local_mean + 0.3 * env.std()
    is_peak = np.zeros(len(env), dtype=bool)
    is_peak[1:-1] = (env[1:-1] > env[:-2]) & (env[1:-1] >= env[2:]) & (env[1:-1] > threshold[1:-1])
    candidates = np.flatnonzero(is_peak)
    min_gap = max(1, round(MIN_SEGMENT_S * frame_rate))
    kept: list[int] = []
    for frame in candidates:
        if kept and frame - kept[-1] < min_gap:
            if env[frame] > env[kept[-1]]:
                kept[-1] = int(frame)
            continue
        kept.append(int(frame))
    frames_ = np.array(kept, dtype=np.int64)
    strength = (
        np.clip(env[frames_] / (np.percentile(env[frames_], 95) + 1e-9), 0.0, 1.0)
        if len(kept)
        else np.zeros(0)
    )
    return frames_, strength


def segment_spans(
    onsets: npt.NDArray[np.int64], strength: FloatArray, n_frames: int, frame_rate: float
) -> list[SegmentSpan]:
    """Cut at every onset; split stretches longer than MAX_SEGMENT_S evenly (sustained notes)."""
    bounds = [0, *[int(f) for f in onsets if 0 < f < n_frames], n_frames]
    confidence = {int(f): float(s) for f, s in zip(onsets, strength, strict=True)}
    longest = max(1, round(MAX_SEGMENT_S * frame_rate))
    spans: list[SegmentSpan] = []
    for start, end in itertools.pairwise(bounds):
        if end <= start:
            continue
        pieces = int(np.ceil((end - start) / longest))
        edges = np.linspace(start, end, pieces + 1).round().astype(int)
        for index, (a, b) in enumerate(itertools.pairwise(edges)):
            if b > a:
                spans.append(SegmentSpan(int(a), int(b), confidence.get(int(a), 0.0) if index == 0 else 0.0))
    return spans


def section_bounds(spectra: Spectra, chroma_per_frame: npt.NDArray[np.float32]) -> list[int]:
    """Frame indices where sections start (always including 0)."""
    rate = spectra.frame_rate
    step = max(1, round(rate))  # one summary vector per second
    n = len(spectra.rms_db) // step
    if n < 2 * SECTION_CONTEXT_S:
        return [0]
    usable = n * step
    timbre = spectra.mfcc[:usable, 1:].reshape(n, step, -1).mean(axis=1)
    pitch = chroma_per_frame[:usable].reshape(n, step, -1).mean(axis=1)
    loud = spectra.rms_db[:usable].reshape(n, step).mean(axis=1, keepdims=True)
    features = np.hstack([_standardise(timbre), 2.0 * _standardise(pitch), 2.0 * _standardise(loud)])
    context = int(SECTION_CONTEXT_S)
    cumulative = np.vstack([np.zeros((1, features.shape[1])), np.cumsum(features, axis=0)])
    novelty = np.zeros(n)
    for t in range(context, n - context):
        before = (cumulative[t] - cumulative[t - context]) / context
        after = (cumulative[t + context] - cumulative[t]) / context
        novelty[t] = np.linalg.norm(after - before)
    threshold = novelty.mean() + 0.5 * novelty.std()
    bounds = [0]
    for t in np.argsort(novelty)[::-1]:
        if novelty[t] < threshold:
            break
        if all(abs(int(t) - b) >= MIN_SECTION_S for b in bounds) and n - t >= MIN_SECTION_S:
            bounds.append(int(t))
    return sorted(b * step for b in bounds)


def _standardise(values: npt.NDArray[np.float32]) -> FloatArray:
    data = values.astype(np.float64)
    std = data.std(axis=0)
    standardised: FloatArray = (data - data.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return standardised
