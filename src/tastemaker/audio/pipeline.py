"""One pass over a file: decode once, compute the shared spectra once, derive features and analysis."""

from __future__ import annotations

from pathlib import Path

from tastemaker.audio.decode import DecodedAudio, decode
from tastemaker.audio.model import AudioResult


def analyze_path(path: str | Path, *, with_analysis: bool = True, max_duration_s: float = 1800.0) -> AudioResult:
    """Features (and analysis) of one file; raises ``AudioError`` for a file that is not usable audio."""
    return analyze_samples(decode(path, max_duration_s=max_duration_s), with_analysis=with_analysis)


def analyze_samples(audio: DecodedAudio, *, with_analysis: bool = True) -> AudioResult:
    raise NotImplementedError("being written")
