"""Audio intelligence: Spotify-style audio features and audio analysis computed from the audio itself."""

from tastemaker.audio.decode import ANALYSIS_RATE, ERROR_KINDS, AudioError, DecodedAudio, decode
from tastemaker.audio.model import ALGORITHM_VERSION, AudioAnalysis, AudioFeatures, AudioResult
from tastemaker.audio.pipeline import analyze_path, analyze_samples

__all__ = [
    "ALGORITHM_VERSION",
    "ANALYSIS_RATE",
    "ERROR_KINDS",
    "AudioAnalysis",
    "AudioError",
    "AudioFeatures",
    "AudioResult",
    "DecodedAudio",
    "analyze_path",
    "analyze_samples",
    "decode",
]
