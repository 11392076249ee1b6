"""Tempo, beats, bars and tatums from the onset envelope.

Tempo: the onset envelope's autocorrelation averaged over every multiple of a candidate period out to
4 s (a comb: the metre's own levels line up with the bar), weighted by a log-normal prior around
120 BPM (the human-preferred pulse), searched on a quarter-frame grid. Beats: dynamic programming (Ellis 2007)
that trades onset strength against deviation from that period. The tempo reported is the slope of
the beat times, which is far more precise than one autocorrelation lag. Metre: which grouping of
beats (3 or 4) makes one beat of every group stand out in bass onsets and chord changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float64]

MIN_BPM = 40.0
MAX_BPM = 240.0
PRIOR_BPM = 120.0
PRIOR_OCTAVES = 0.5  # 1.0 (librosa's) left octave errors at 150+ BPM: Acc1 0.78 vs 0.91 on the dev tunes
TIGHTNESS = 100.0


@dataclass(frozen=True)
class Rhythm:
    tempo: float
    tempo_confidence: float
    beats: FloatArray
    """Beat times in seconds."""
    beat_strength: FloatArray
    """Onset strength at each beat, normalised to the track's envelope (about 0–1)."""
    time_signature: int
    time_signature_confidence: float
    downbeat: int
    """Index into ``beats`` of the first downbeat."""
    tatums_per_beat: int
    pulse_clarity: float
    """How periodic the envelope is at the beat period (0–1): feeds danceability."""


def normalized_envelope(onset: Array, frame_rate: float) -> FloatArray:
    """The onset envelope minus its local mean (0.5 s), scaled to unit standard deviation."""
    env = onset.astype(np.float64)
    width = max(1, round(0.5 * frame_rate))
    kernel = np.ones(width) / width
    env = env - np.convolve(env, kernel, mode="same")
    env = np.maximum(env, 0.0)
    std = env.std()
    return env / std if std > 0 else env


def autocorrelation(env: FloatArray, max_lag: int) -> FloatArray:
    n = len(env)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(env - env.mean(), size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[: max_lag + 1]
    acf /= np.maximum(n - np.arange(max_lag + 1), 1)  # unbiased: long lags are not penalised
    return acf / acf[0] if acf[0] > 0 else acf


COMB_HORIZON_S = 4.0  # 3, 4, 6 s tried on the dev tunes: Acc1 0.92, 0.93, 0.92
COMB_STEP = 0.25


def comb_period(acf: FloatArray, frame_rate: float, max_lag: int) -> tuple[float, FloatArray]:
    """The period whose multiples, out to a few seconds, recur most, times the tempo prior.

    In music where every eighth note has an onset, the autocorrelation peaks at every multiple of
    the eighth, so 2, 3 or 4 eighths all look like a beat. Only the metre's own levels line up with
    the bar, whose repetitions (melody, accents) recur most strongly; averaging the autocorrelation
    over all multiples of a candidate out to the horizon rewards exactly those levels.
    Periods are searched on a quarter-frame grid with interpolation, so the multiples stay on the
    peaks even when the beat is not a whole number of frames.
    """
    periods = np.arange(frame_rate * 60.0 / MAX_BPM, frame_rate * 60.0 / MIN_BPM, COMB_STEP)
    horizon = min(COMB_HORIZON_S * frame_rate, max_lag - 1)
    counts = np.maximum(1, np.floor(horizon / periods)).astype(np.int64)
    top = int(counts.max())
    multiples = periods[:, None] * np.arange(1, top + 1)[None, :]
    mask = np.arange(1, top + 1)[None, :] <= counts[:, None]
    values = np.interp(np.minimum(multiples, max_lag), np.arange(len(acf)), acf) * mask
    comb = values.sum(axis=1) / counts
    bpm = 60.0 * frame_rate / periods
    prior = np.exp(-0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
    score = np.maximum(comb, 0.0) * prior
    return float(periods[int(np.argmax(score))]), score


def estimate_period(env: FloatArray, frame_rate: float) -> tuple[float, float, float]:
    """(period in frames, confidence 0–1, pulse clarity 0–1) of the dominant, prior-weighted pulse."""
    max_lag = int(np.ceil(frame_rate * (COMB_HORIZON_S + 60.0 / MIN_BPM))) + 2
    max_lag = min(max_lag, len(env) - 1)
    if max_lag < 8:
        return frame_rate * 60.0 / PRIOR_BPM, 0.0, 0.0
    # Onset peaks are a frame or two wide and a beat period is rarely a whole number of frames:
    # smoothing first keeps a period of 21.5 frames from splitting its peak between lags 21 and 22.
    taps = np.arange(-4, 5)
    acf = autocorrelation(np.convolve(env, np.exp(-0.5 * (taps / 1.5) ** 2), mode="same"), max_lag)
    period, score = comb_period(acf, frame_rate, max_lag)
    ordered = np.sort(score)[::-1]
    runner_up = ordered[1] if len(ordered) > 1 else 0.0
    confidence = float(
        np.clip((ordered[0] - runner_up) / (ordered[0] + 1e-9) * 2.0 + 0.3 * ordered[0], 0.0, 1.0)
    )
    clarity = float(np.clip(acf[round(period)], 0.0, 1.0))
    return period, confidence, clarity


def track_beats(env: FloatArray, period: float) -> npt.NDArray[np.int64]:
    """Beat frames by dynamic programming over the onset envelope (Ellis 2007)."""
    n = len(env)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    width = max(1.0, period / 32.0)
    taps = np.arange(-int(4 * width), int(4 * width) + 1)
    local = np.convolve(env, np.exp(-0.5 * (taps / width) ** 2), mode="same")
    low, high = max(1, round(period / 2)), max(2, round(2 * period))
    offsets = np.arange(high, low - 1, -1)  # distance back to the previous beat, far to near
    penalty = -TIGHTNESS * np.log(offsets / period) ** 2
    score = local.copy()
    back = np.full(n, -1, dtype=np.int64)
    for t in range(low, n):
        start = t - high
        if start < 0:
            window = score[: t - low + 1] + penalty[-start:]
            first = 0
        else:
            window = score[start : t - low + 1] + penalty
            first = start
        best = int(np.argmax(window))
        if window[best] > 0:
            score[t] += window[best]
            back[t] = first + best
    # The last beat: the last local maximum of the cumulative score that is reasonably strong.
    maxima = np.flatnonzero((score[1:-1] > score[:-2]) & (score[1:-1] >= score[2:])) + 1
    if len(maxima) == 0:
        return np.zeros(0, dtype=np.int64)
    strong = maxima[score[maxima] >= 0.5 * np.median(score[maxima])]
    beat = int(strong[-1])
    beats = [beat]
    while back[beat] >= 0:
        beat = int(back[beat])
        beats.append(beat)
    result = np.array(beats[::-1], dtype=np.int64)
    return trim_weak_edges(result, local)


def trim_weak_edges(beats: npt.NDArray[np.int64], local: FloatArray) -> npt.NDArray[np.int64]:
    """Drop beats in leading/trailing near-silence, where the DP only extrapolates the grid."""
    if len(beats) < 3:
        return beats
    strength = local[beats]
    threshold = 0.5 * np.sqrt(np.mean(strength**2))
    strong = np.flatnonzero(strength >= threshold)
    if len(strong) == 0:
        return beats
    return beats[strong[0] : strong[-1] + 1]


def beat_period_from_times(times: FloatArray) -> float | None:
    """Seconds per beat from a least-squares line through the beat times (robust to one odd beat)."""
    if len(times) < 4:
        return None
    index = np.arange(len(times), dtype=np.float64)
    slope, intercept = np.polyfit(index, times, 1)
    residual = np.abs(times - (slope * index + intercept))
    keep = residual < 0.25 * slope
    if keep.sum() >= 4 and not keep.all():
        slope = np.polyfit(index[keep], times[keep], 1)[0]
    return float(slope) if slope > 0 else None


def metre(
    beat_frames: npt.NDArray[np.int64], env: FloatArray, bass_flux: FloatArray, harmonic_change: FloatArray
) -> tuple[int, float, int]:
    """(beats per bar 3 or 4, confidence, index of the first downbeat)."""
    if len(beat_frames) < 8:
        return 4, 0.0, 0
    accent = (
        _zscore(bass_flux[beat_frames])
        + _zscore(harmonic_change[beat_frames])
        + 0.5 * _zscore(env[beat_frames])
    )
    contrast: dict[int, tuple[float, int]] = {}
    for meter in (3, 4):
        best = (-np.inf, 0)
        usable = len(accent) - len(accent) % meter
        grid = accent[:usable].reshape(-1, meter)
        for phase in range(meter):
            on = grid[:, phase].mean()
            off = np.delete(grid, phase, axis=1).mean()
            value = float(on - off)
            if value > best[0]:
                best = (value, phase)
        contrast[meter] = best
    # A 4-grouping also fits a 2-metre track, so three must win clearly to be chosen.
    three, four = contrast[3][0], contrast[4][0]
    meter = 3 if three > four * 1.15 + 0.05 else 4
    margin = abs(three - four) / (abs(three) + abs(four) + 1e-9)
    confidence = float(np.clip(0.3 + margin + 0.2 * max(three, four), 0.0, 1.0))
    return meter, confidence, contrast[meter][1]


def subdivision(env: FloatArray, beat_frames: npt.NDArray[np.int64]) -> int:
    """Tatums per beat: 3 when onsets fall on thirds of the beat more than on halves, else 2."""
    if len(beat_frames) < 4:
        return 2
    starts, spans = beat_frames[:-1], np.diff(beat_frames)

    def mean_at(fraction: float) -> float:
        idx = np.clip(np.round(starts + fraction * spans).astype(np.int64), 0, len(env) - 1)
        return float(env[idx].mean())

    halves = mean_at(0.5)
    thirds = 0.5 * (mean_at(1 / 3) + mean_at(2 / 3))
    return 3 if thirds > 1.2 * halves else 2


def _zscore(values: FloatArray) -> FloatArray:
    std = values.std()
    return (values - values.mean()) / std if std > 0 else np.zeros_like(values)


def analyse_rhythm(
    onset: Array, frame_rate: float, bass_flux: FloatArray, harmonic_change: FloatArray
) -> Rhythm:
    env = normalized_envelope(onset, frame_rate)
    period, confidence, clarity = estimate_period(env, frame_rate)
    beat_frames = track_beats(env, period)
    times = beat_frames / frame_rate
    seconds = beat_period_from_times(times)
    tempo = 60.0 / seconds if seconds else 60.0 * frame_rate / period
    if len(beat_frames) < 4:
        confidence = 0.0
    meter, meter_confidence, downbeat = metre(beat_frames, env, bass_flux, harmonic_change)
    strength = env[beat_frames] / (env.max() + 1e-9) if len(beat_frames) else np.zeros(0)
    return Rhythm(
        tempo=float(tempo),
        tempo_confidence=confidence,
        beats=times.astype(np.float64),
        beat_strength=np.clip(strength, 0.0, 1.0),
        time_signature=meter,
        time_signature_confidence=meter_confidence,
        downbeat=downbeat,
        tatums_per_beat=subdivision(env, beat_frames),
        pulse_clarity=clarity,
    )
