"""Assembles Spotify's audio-analysis object from the rhythm, key, segments and sections."""

from __future__ import annotations

import platform as host
import time

import numpy as np
import numpy.typing as npt

from tastemaker.audio.descriptors import Descriptors
from tastemaker.audio.model import (
    ALGORITHM_VERSION,
    AnalysisMeta,
    AnalysisTrack,
    AudioAnalysis,
    Section,
    Segment,
    TimeInterval,
)
from tastemaker.audio.rhythm import Rhythm, beat_period_from_times
from tastemaker.audio.segments import SegmentSpan, section_bounds
from tastemaker.audio.spectral import Spectra
from tastemaker.audio.tonal import Key, estimate_key

FloatArray = npt.NDArray[np.float64]


def intervals(times: FloatArray, end: float, confidence: FloatArray | None = None) -> list[TimeInterval]:
    out = []
    for index, start in enumerate(times):
        stop = (
            times[index + 1]
            if index + 1 < len(times)
            else min(end, start + (start - times[index - 1] if index else 0.5))
        )
        conf = float(confidence[index]) if confidence is not None and index < len(confidence) else 0.5
        out.append(
            TimeInterval(
                start=round(float(start), 5),
                duration=round(float(stop - start), 5),
                confidence=round(conf, 3),
            )
        )
    return out


def tatum_times(beats: FloatArray, per_beat: int) -> FloatArray:
    if len(beats) < 2:
        return beats
    steps = np.arange(per_beat) / per_beat
    spans = np.diff(beats)
    inner = (beats[:-1, None] + spans[:, None] * steps[None, :]).reshape(-1)
    return np.concatenate([inner, beats[-1:]])


def build_segments(
    spectra: Spectra, chroma_frames: npt.NDArray[np.float32], spans: list[SegmentSpan]
) -> list[Segment]:
    rate = spectra.frame_rate
    out = []
    for span in spans:
        loud = spectra.rms_db[span.start : span.end].astype(np.float64)
        peak = int(np.argmax(loud))
        pitches = chroma_frames[span.start : span.end].mean(axis=0)
        top = float(pitches.max())
        pitches = pitches / top if top > 0 else pitches
        mfcc = spectra.mfcc[span.start : span.end].mean(axis=0)
        timbre = [float(loud.mean() + 60.0), *[float(c) for c in mfcc[1:12]]]
        after = spectra.rms_db[span.end] if span.end < len(spectra.rms_db) else loud[-1]
        out.append(
            Segment(
                start=round(span.start / rate, 5),
                duration=round((span.end - span.start) / rate, 5),
                confidence=round(span.confidence, 3),
                loudness_start=round(float(loud[0]), 3),
                loudness_max=round(float(loud[peak]), 3),
                loudness_max_time=round(peak / rate, 5),
                loudness_end=round(float(after), 3),
                pitches=[round(float(p), 3) for p in pitches],
                timbre=[round(t, 3) for t in timbre],
            )
        )
    return out


def build_sections(
    spectra: Spectra,
    chroma_frames: npt.NDArray[np.float32],
    rhythm: Rhythm,
    track_key: Key,
    duration: float,
) -> list[Section]:
    rate = spectra.frame_rate
    bounds = section_bounds(spectra, chroma_frames)
    ends = [*bounds[1:], len(spectra.rms_db)]
    out = []
    for start, end in zip(bounds, ends, strict=True):
        t0, t1 = start / rate, min(end / rate, duration)
        beats = rhythm.beats[(rhythm.beats >= t0) & (rhythm.beats < t1)]
        period = beat_period_from_times(beats)
        tempo = 60.0 / period if period else rhythm.tempo
        key = estimate_key(chroma_frames[start:end])
        if key.key < 0:
            key = track_key
        power = 10 ** (spectra.rms_db[start:end].astype(np.float64) / 10.0)
        loudness = float(10 * np.log10(power.mean() + 1e-12))
        out.append(
            Section(
                start=round(t0, 5),
                duration=round(t1 - t0, 5),
                confidence=1.0 if start == 0 else 0.5,
                loudness=round(max(loudness, -60.0), 3),
                tempo=round(tempo, 3),
                tempo_confidence=round(rhythm.tempo_confidence if period else 0.0, 3),
                key=key.key,
                key_confidence=round(key.key_confidence, 3),
                mode=key.mode,
                mode_confidence=round(key.mode_confidence, 3),
                time_signature=rhythm.time_signature,
                time_signature_confidence=round(rhythm.time_signature_confidence, 3),
            )
        )
    return out


def fades(descriptors: Descriptors, duration: float) -> tuple[float, float]:
    """End of fade-in, start of fade-out: where 400 ms loudness first/last is within 12 dB of the track's."""
    blocks = descriptors.short_loudness
    near = np.flatnonzero(blocks >= descriptors.loudness - 12.0)
    if len(near) == 0:
        return 0.0, duration
    return round(float(near[0]) * 0.1, 3), round(min(duration, float(near[-1]) * 0.1 + 0.4), 3)


def build_analysis(
    *,
    spectra: Spectra,
    chroma_frames: npt.NDArray[np.float32],
    descriptors: Descriptors,
    rhythm: Rhythm,
    key: Key,
    spans: list[SegmentSpan],
    duration: float,
    num_samples: int,
    source_rate: int,
    started: float,
) -> AudioAnalysis:
    beats = rhythm.beats
    meter = rhythm.time_signature
    bar_starts = beats[rhythm.downbeat :: meter] if len(beats) else beats
    fade_in, fade_out = fades(descriptors, duration)
    track = AnalysisTrack(
        num_samples=num_samples,
        duration=round(duration, 5),
        sample_md5="",
        offset_seconds=0,
        window_seconds=0,
        analysis_sample_rate=spectra.sample_rate,
        analysis_channels=1,
        end_of_fade_in=fade_in,
        start_of_fade_out=fade_out,
        loudness=round(descriptors.loudness, 3),
        tempo=round(rhythm.tempo, 3),
        tempo_confidence=round(rhythm.tempo_confidence, 3),
        time_signature=meter,
        time_signature_confidence=round(rhythm.time_signature_confidence, 3),
        key=key.key,
        key_confidence=round(key.key_confidence, 3),
        mode=key.mode,
        mode_confidence=round(key.mode_confidence, 3),
    )
    meta = AnalysisMeta(
        analyzer_version=ALGORITHM_VERSION,
        platform=host.system(),
        detailed_status="OK",
        status_code=0,
        timestamp=int(time.time()),
        analysis_time=round(time.perf_counter() - started, 5),
        input_process=f"decoded at {source_rate} Hz, analysed mono at {spectra.sample_rate} Hz",
        sample_rate=source_rate,
        window_seconds=0.0,
    )
    return AudioAnalysis(
        meta=meta,
        track=track,
        bars=intervals(bar_starts, duration),
        beats=intervals(beats, duration, rhythm.beat_strength),
        tatums=intervals(tatum_times(beats, rhythm.tatums_per_beat), duration),
        sections=build_sections(spectra, chroma_frames, rhythm, key, duration),
        segments=build_segments(spectra, chroma_frames, spans),
    )
