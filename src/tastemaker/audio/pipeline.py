"""One pass over a file: decode once, compute the shared spectra once, derive features and analysis."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from tastemaker.audio.analysis import build_analysis
from tastemaker.audio.decode import DecodedAudio, decode
from tastemaker.audio.descriptors import describe
from tastemaker.audio.features import features_from
from tastemaker.audio.model import AudioResult
from tastemaker.audio.rhythm import analyse_rhythm
from tastemaker.audio.segments import onset_frames, segment_spans
from tastemaker.audio.similarity import feature_vector
from tastemaker.audio.spectral import HOP, N_MELS, PITCH_HOP, compute_spectra
from tastemaker.audio.tonal import chroma, estimate_key, harmonic_change

BASS_MEL_BANDS = N_MELS // 8  # the lowest bands: kick and bass, where bar downbeats are heaviest


def analyze_path(
    path: str | Path, *, with_analysis: bool = True, max_duration_s: float = 1800.0
) -> AudioResult:
    """Features (and analysis) of one file; raises ``AudioError`` for a file that is not usable audio."""
    return analyze_samples(decode(path, max_duration_s=max_duration_s), with_analysis=with_analysis)


def analyze_samples(audio: DecodedAudio, *, with_analysis: bool = True) -> AudioResult:
    started = time.perf_counter()
    spectra = compute_spectra(audio.samples, audio.sample_rate)
    pitch_chroma = chroma(spectra.pitch)
    # Pitch frames are PITCH_HOP apart, short frames HOP apart: map each short frame to its pitch frame.
    ratio = PITCH_HOP // HOP
    index = np.minimum((np.arange(len(spectra.rms_db)) + ratio // 2) // ratio, len(pitch_chroma) - 1)
    frame_chroma = pitch_chroma[index]
    loudness_weights = 10 ** (spectra.rms_db[::ratio][: len(pitch_chroma)].astype(np.float64) / 20.0)
    if len(loudness_weights) < len(pitch_chroma):
        loudness_weights = np.pad(
            loudness_weights, (0, len(pitch_chroma) - len(loudness_weights)), mode="edge"
        )
    key = estimate_key(pitch_chroma, loudness_weights)
    bass = np.maximum(0.0, np.diff(spectra.mel_db[:, :BASS_MEL_BANDS], axis=0)).mean(axis=1)
    bass_flux = np.concatenate([[0.0], bass]).astype(np.float64)
    rhythm = analyse_rhythm(spectra.onset, spectra.frame_rate, bass_flux, harmonic_change(frame_chroma))
    onsets, strength = onset_frames(spectra.onset, spectra.frame_rate)
    descriptors = describe(spectra, pitch_chroma, onsets / spectra.frame_rate)
    features = features_from(descriptors, rhythm, key, audio.duration_s)
    vector = feature_vector(features, key.key_confidence)
    analysis = None
    if with_analysis:
        analysis = build_analysis(
            spectra=spectra,
            chroma_frames=frame_chroma,
            descriptors=descriptors,
            rhythm=rhythm,
            key=key,
            spans=segment_spans(onsets, strength, len(spectra.rms_db), spectra.frame_rate),
            duration=audio.duration_s,
            num_samples=len(audio.samples),
            source_rate=audio.source_rate,
            started=started,
        )
    return AudioResult(features=features, vector=[round(float(v), 5) for v in vector], analysis=analysis)
