"""Spotify's 12 audio features from the descriptors, rhythm and key.

Spotify never published its formulas; its documentation describes what each feature measures, and
these mappings implement those descriptions with measurable quantities. Every mapping is a logistic
curve on a few descriptors, so each feature is monotone in the evidence it names and bounded to 0–1.
``docs/audio-features.md`` gives the meaning, the formula and how each was checked.
"""

from __future__ import annotations

import math

from tastemaker.audio.descriptors import Descriptors
from tastemaker.audio.model import AudioFeatures
from tastemaker.audio.rhythm import Rhythm
from tastemaker.audio.tonal import Key


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def unit(value: float, low: float, high: float) -> float:
    """``value`` placed on 0–1 between ``low`` and ``high``, clipped."""
    return min(1.0, max(0.0, (value - low) / (high - low)))


def speech_likeness(d: Descriptors) -> float:
    """Evidence of talking, in typical-difference units: gliding pitch (pitch classes that do not
    hold from one 93 ms frame to the next), constantly changing spectral shape (phonemes), and many
    frames well below their second's mean (the gaps between syllables, Scheirer & Slaney 1997)."""
    return (
        1.2 * (0.85 - d.chroma_stability) / 0.05
        + (d.timbre_flux_median - 19.0) / 3.0
        + 0.4 * (d.low_energy_ratio - 0.2) / 0.1
    )


def speechiness(d: Descriptors, r: Rhythm) -> float:
    return logistic(speech_likeness(d) - 1.0)


def instrumentalness(d: Descriptors, r: Rhythm) -> float:
    """Few voice cues. A singing voice glides between and around notes where tuned instruments step
    (``pitch_drift``); rap and speech show up as speech-likeness instead."""
    vocal = 6.0 * (d.pitch_drift - 0.27) + max(0.0, speech_likeness(d) + 1.0)
    return logistic(-vocal)


def energy(d: Descriptors, r: Rhythm) -> float:
    """Perceived intensity: loudness first, then brightness, noisiness and onset density."""
    x = (
        0.22 * (d.loudness + 12.0)
        + 2.5 * (d.high_ratio - 0.05) * 10.0 / 10.0
        + 3.0 * (d.flatness - 0.05)
        + 0.25 * (d.onset_rate - 3.0)
        - 0.04 * (d.loudness_range - 10.0)
    )
    return logistic(x)


def danceability(d: Descriptors, r: Rhythm) -> float:
    """A clear, steady pulse at a walking-to-running tempo with strong beats."""
    tempo_fit = math.exp(-0.5 * (math.log2(max(r.tempo, 1.0) / 118.0) / 0.35) ** 2)
    beat_strength = float(r.beat_strength.mean()) if len(r.beat_strength) else 0.0
    x = 4.0 * (r.pulse_clarity - 0.25) + 2.0 * (tempo_fit - 0.5) + 3.0 * (beat_strength - 0.3) + 0.3
    return logistic(x)


def acousticness(d: Descriptors, r: Rhythm) -> float:
    """Acoustic recordings keep their dynamics and have less sustained bright/noisy energy and sub-bass."""
    x = (
        0.12 * (d.loudness_range - 8.0)
        - 20.0 * (d.high_ratio - 0.03)
        - 6.0 * (d.bass_ratio - 0.15)
        - 0.15 * (d.loudness + 14.0)
    )
    return logistic(x)


def liveness(d: Descriptors, r: Rhythm) -> float:
    """An audience: broadband noise between notes (crowd, room) that a studio mix does not have."""
    return 0.08 + 0.92 * logistic(40.0 * (d.quiet_flatness - 0.12))


def valence(d: Descriptors, r: Rhythm, k: Key, energy_value: float, dance_value: float) -> float:
    """Positiveness: major mode, higher tempo, brighter timbre, more energy and groove."""
    mode_term = (0.8 if k.mode == 1 else -0.8) * k.mode_confidence if k.key >= 0 else 0.0
    x = (
        mode_term
        + 1.5 * (dance_value - 0.5)
        + 1.2 * (energy_value - 0.5)
        + 0.6 * math.log2(max(r.tempo, 1.0) / 110.0)
        + 0.0004 * (d.centroid_hz - 2000.0)
    )
    return logistic(x)


def features_from(d: Descriptors, r: Rhythm, k: Key, duration_s: float) -> AudioFeatures:
    energy_value = energy(d, r)
    dance_value = danceability(d, r)
    return AudioFeatures(
        acousticness=round(acousticness(d, r), 4),
        danceability=round(dance_value, 4),
        energy=round(energy_value, 4),
        instrumentalness=round(instrumentalness(d, r), 4),
        key=k.key,
        liveness=round(liveness(d, r), 4),
        loudness=round(d.loudness, 3),
        mode=k.mode,
        speechiness=round(speechiness(d, r), 4),
        tempo=round(r.tempo, 3),
        time_signature=r.time_signature,
        valence=round(valence(d, r, k, energy_value, dance_value), 4),
        duration_ms=round(duration_s * 1000),
    )
