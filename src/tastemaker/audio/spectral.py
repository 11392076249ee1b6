"""The shared front end: every feature and the analysis read these arrays, computed once per file.

Speed is the point: one short-window STFT (rhythm, timbre, loudness) and one long-window STFT (pitch)
feed everything else, in float32, with filter banks built once per process. librosa recomputes a
spectrum per feature and a constant-Q transform for chroma, which is where its time goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import scipy.fft

Array = npt.NDArray[np.float32]

N_FFT = 2048
HOP = 512
N_MELS = 64
N_MFCC = 13
PITCH_N_FFT = 8192
PITCH_HOP = 2048
PITCH_LOW_MIDI = 36  # C2
PITCH_HIGH_MIDI = 96  # C7: above it, energy is mostly harmonics


@dataclass(frozen=True)
class Spectra:
    sample_rate: int
    frame_rate: float
    """Frames per second of every short-window array."""
    magnitude: Array
    """|STFT|, (frames, N_FFT // 2 + 1)."""
    mel_db: Array
    """Log-mel power in dB, (frames, N_MELS)."""
    mfcc: Array
    """(frames, N_MFCC): the timbre coefficients."""
    rms_db: Array
    """Frame loudness in dBFS, (frames,)."""
    k_power: Array
    """Frame mean-square after BS.1770's K-weighting, (frames,): the input of integrated loudness."""
    onset: Array
    """Spectral flux of log-mel (half-wave rectified), (frames,): the rhythm signal."""
    pitch: Array
    """Semitone spectrum from the long window, (pitch frames, PITCH_HIGH_MIDI - PITCH_LOW_MIDI + 1)."""
    pitch_frame_rate: float


def frames(samples: Array, n_fft: int, hop: int) -> Array:
    """Centered, reflect-padded frames as a strided view (no copy until the FFT)."""
    pad = n_fft // 2
    if len(samples) <= pad:
        samples = np.pad(samples, (0, pad + 1 - len(samples)))
    padded = np.pad(samples, (pad, pad), mode="reflect")
    count = 1 + (len(padded) - n_fft) // hop
    strides = (padded.strides[0] * hop, padded.strides[0])
    return np.lib.stride_tricks.as_strided(padded, shape=(count, n_fft), strides=strides, writeable=False)


@lru_cache(maxsize=8)
def hann(n: int) -> Array:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)


BLOCK_FRAMES = 1024
"""Frames per FFT block: the complex spectrum and windowed copies of a whole 5-minute track would
cost ~300 MB of fresh memory per file (page faults were a third of the time); blocks keep them small."""


def stft_blocks(samples: Array, n_fft: int, hop: int) -> Iterator[tuple[int, Array]]:
    """(first frame index, |STFT| of up to BLOCK_FRAMES frames) in order."""
    view = frames(samples, n_fft, hop)
    window = hann(n_fft)
    for start in range(0, len(view), BLOCK_FRAMES):
        block = view[start : start + BLOCK_FRAMES] * window
        spectrum = scipy.fft.rfft(block, axis=1, workers=1, overwrite_x=True)
        magnitude: Array = np.abs(spectrum).astype(np.float32, copy=False)
        yield start, magnitude


def frame_count(samples: Array, n_fft: int, hop: int) -> int:
    return len(frames(samples, n_fft, hop))


@lru_cache(maxsize=4)
def k_weighting(sample_rate: int, n_fft: int) -> Array:
    """BS.1770's K filter as a power gain per FFT bin: a +4 dB shelf above ~1.5 kHz and a ~38 Hz high-pass."""
    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    shelf_db = 4.0 / (1.0 + (1500.0 / np.maximum(freqs, 1.0)) ** 2)
    highpass = 1.0 / (1.0 + (38.0 / np.maximum(freqs, 1e-3)) ** 4)
    return (10 ** (shelf_db / 10.0) * highpass).astype(np.float32)


def hz_to_mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 2595.0 * np.log10(1.0 + hz / 700.0)


@lru_cache(maxsize=8)
def mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> Array:
    """Triangular, area-normalised mel filters, (bins, n_mels)."""
    bin_hz = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges_mel = np.linspace(
        hz_to_mel(np.array(30.0)), hz_to_mel(np.array(min(11000.0, sample_rate / 2))), n_mels + 2
    )
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    lower = (bin_hz[:, None] - edges[None, :-2]) / (edges[1:-1] - edges[:-2])[None, :]
    upper = (edges[None, 2:] - bin_hz[:, None]) / (edges[2:] - edges[1:-1])[None, :]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= 2.0 / (edges[2:] - edges[:-2])[None, :]
    return weights.astype(np.float32)


@lru_cache(maxsize=4)
def dct_matrix(n_in: int, n_out: int) -> Array:
    k = np.arange(n_out)[None, :]
    n = np.arange(n_in)[:, None]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[:, 0] /= np.sqrt(2.0)
    matrix: Array = basis.astype(np.float32)
    return matrix


@lru_cache(maxsize=8)
def semitone_filters(sample_rate: int, n_fft: int) -> Array:
    """Bins to semitones PITCH_LOW_MIDI..PITCH_HIGH_MIDI, each bin shared by its two nearest notes."""
    bin_hz = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    with np.errstate(divide="ignore"):
        midi = 69.0 + 12.0 * np.log2(np.maximum(bin_hz, 1e-6) / 440.0)
    notes = np.arange(PITCH_LOW_MIDI, PITCH_HIGH_MIDI + 1)
    distance = np.abs(midi[:, None] - notes[None, :])
    weights = np.maximum(0.0, 1.0 - distance / 0.5) ** 2  # within half a semitone, peaked at the note
    weights[bin_hz < 55.0] = 0.0
    return weights.astype(np.float32)


def compute_spectra(samples: Array, sample_rate: int) -> Spectra:
    count = frame_count(samples, N_FFT, HOP)
    bins = N_FFT // 2 + 1
    magnitude = np.empty((count, bins), dtype=np.float32)
    mel = np.empty((count, N_MELS), dtype=np.float32)
    frame_power = np.empty(count, dtype=np.float32)
    k_power = np.empty(count, dtype=np.float32)
    mel_weights = mel_filters(sample_rate, N_FFT, N_MELS)
    k_weights = k_weighting(sample_rate, N_FFT)
    # Frame power from the spectrum (Parseval); the Hann window's energy is n_fft * 3/8.
    parseval = np.full(bins, 2.0 / (N_FFT * N_FFT * 0.375), dtype=np.float32)
    parseval[[0, -1]] /= 2.0
    for start, block in stft_blocks(samples, N_FFT, HOP):
        end = start + len(block)
        magnitude[start:end] = block
        power = block * block
        mel[start:end] = power @ mel_weights
        frame_power[start:end] = power @ parseval
        k_power[start:end] = power @ (k_weights * parseval)
    mel_db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    mel_db = np.maximum(mel_db, mel_db.max() - 80.0)
    mfcc = mel_db @ dct_matrix(N_MELS, N_MFCC)
    rms_db = 10.0 * np.log10(np.maximum(frame_power, 1e-10)).astype(np.float32)
    # Spectral flux of log-mel. (Tried on the dev tunes: adding flux of linear bins, which sees legato
    # semitone steps, did not help tempo: Acc1 0.89 vs 0.91.)
    flux = np.maximum(0.0, np.diff(mel_db, axis=0)).mean(axis=1)
    onset = np.concatenate([[0.0], flux]).astype(np.float32)
    semitones = semitone_filters(sample_rate, PITCH_N_FFT)
    pitch = np.empty((frame_count(samples, PITCH_N_FFT, PITCH_HOP), semitones.shape[1]), dtype=np.float32)
    for start, block in stft_blocks(samples, PITCH_N_FFT, PITCH_HOP):
        pitch[start : start + len(block)] = np.sqrt((block * block) @ semitones)
    return Spectra(
        sample_rate=sample_rate,
        frame_rate=sample_rate / HOP,
        magnitude=magnitude,
        mel_db=mel_db.astype(np.float32),
        mfcc=mfcc.astype(np.float32),
        rms_db=rms_db,
        k_power=k_power,
        onset=onset,
        pitch=pitch,
        pitch_frame_rate=sample_rate / PITCH_HOP,
    )
