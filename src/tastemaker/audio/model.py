"""The shapes the audio context hands out: Spotify's audio-features and audio-analysis objects.

Field names, ranges and meanings follow Spotify's retired Web API so that clients written against it
(spotipy scripts, beets plugins) read ours unchanged; ``docs/audio-features.md`` says how each is computed.
"""

from __future__ import annotations

import msgspec

ALGORITHM_VERSION = "tm-audio-1"
"""Stored with every result; a scan re-analyses a file whose stored version differs."""


class AudioFeatures(msgspec.Struct, kw_only=True):
    acousticness: float
    danceability: float
    energy: float
    instrumentalness: float
    key: int
    liveness: float
    loudness: float
    mode: int
    speechiness: float
    tempo: float
    time_signature: int
    valence: float
    duration_ms: int
    algorithm_version: str = ALGORITHM_VERSION


class AnalysisMeta(msgspec.Struct, kw_only=True):
    analyzer_version: str
    platform: str
    detailed_status: str
    status_code: int
    timestamp: int
    analysis_time: float
    input_process: str
    sample_rate: int
    window_seconds: float


class AnalysisTrack(msgspec.Struct, kw_only=True):
    num_samples: int
    duration: float
    sample_md5: str
    offset_seconds: int
    window_seconds: int
    analysis_sample_rate: int
    analysis_channels: int
    end_of_fade_in: float
    start_of_fade_out: float
    loudness: float
    tempo: float
    tempo_confidence: float
    time_signature: int
    time_signature_confidence: float
    key: int
    key_confidence: float
    mode: int
    mode_confidence: float


class TimeInterval(msgspec.Struct, kw_only=True):
    """A bar, beat or tatum."""

    start: float
    duration: float
    confidence: float


class Section(msgspec.Struct, kw_only=True):
    start: float
    duration: float
    confidence: float
    loudness: float
    tempo: float
    tempo_confidence: float
    key: int
    key_confidence: float
    mode: int
    mode_confidence: float
    time_signature: int
    time_signature_confidence: float


class Segment(msgspec.Struct, kw_only=True):
    start: float
    duration: float
    confidence: float
    loudness_start: float
    loudness_max: float
    loudness_max_time: float
    loudness_end: float
    pitches: list[float]
    timbre: list[float]


class AudioAnalysis(msgspec.Struct, kw_only=True):
    meta: AnalysisMeta
    track: AnalysisTrack
    bars: list[TimeInterval]
    beats: list[TimeInterval]
    tatums: list[TimeInterval]
    sections: list[Section]
    segments: list[Segment]


class AudioResult(msgspec.Struct, kw_only=True):
    """Everything one pass over a file yields; ``analysis`` is None when it was not asked for."""

    features: AudioFeatures
    vector: list[float]
    analysis: AudioAnalysis | None = None
