"""The function a scan's worker processes run: one path (or ``synth:`` URL) in, one result or one
failure out.

Kept apart from the scan itself so that a worker imports the audio context and nothing else (no
Store, no CLI, no HTTP client): the fork server preloads this module once, and every worker forked
from it starts small and fast.
"""

from __future__ import annotations

import msgspec

from tastemaker.audio.decode import ANALYSIS_RATE, AudioError, DecodedAudio
from tastemaker.audio.model import AudioResult
from tastemaker.audio.pipeline import analyze_path, analyze_samples
from tastemaker.audio.synth import is_synth_url, parse_synth_url, render

Failure = tuple[str, str]
"""(kind, detail): kind is one of ``audio.decode.ERROR_KINDS``, or ``internal`` for a bug."""

SYNTH_ANALYSIS_S = 30
"""Seconds of a ``synth:`` track that are rendered and analysed. A synthesized track repeats one
phrase with section changes, so its first 30 s already show its tempo, key and energy; rendering
only those keeps a demo catalog's analysis to about 60 ms of one core per track (render 9 ms,
analysis 50 ms), whatever its length."""


def analyse_file(path: str, with_analysis: bool, max_duration_s: float) -> AudioResult | Failure:
    """Analyse one file or ``synth:`` URL; what cannot be analysed comes back as a ``Failure``,
    never raises."""
    try:
        if is_synth_url(path):
            return analyse_synth(path, with_analysis=with_analysis, max_duration_s=max_duration_s)
        return analyze_path(path, with_analysis=with_analysis, max_duration_s=max_duration_s)
    except AudioError as exc:
        return exc.kind, exc.detail
    except Exception as exc:  # a library bug on one odd file must not end the batch
        return "internal", f"{type(exc).__name__}: {exc}"


def analyse_synth(url: str, *, with_analysis: bool, max_duration_s: float = 1800.0) -> AudioResult:
    """The real analysis of a ``synth:`` track's first ``SYNTH_ANALYSIS_S`` seconds, rendered in
    memory; ``duration_ms`` is the whole track's, and the analysis says which window it covers."""
    params = parse_synth_url(url)
    if params.duration_s > max_duration_s:
        msg = f"{params.duration_s:.0f} s is over the {max_duration_s:.0f} s limit"
        raise AudioError(url, "too_long", msg)
    samples = render(params, sample_rate=ANALYSIS_RATE, seconds=SYNTH_ANALYSIS_S)
    audio = DecodedAudio(
        samples=samples, sample_rate=ANALYSIS_RATE, source_rate=ANALYSIS_RATE, source_channels=1
    )
    result = analyze_samples(audio, with_analysis=with_analysis)
    features = msgspec.structs.replace(result.features, duration_ms=round(params.duration_s * 1000))
    analysis = result.analysis
    if analysis is not None and params.duration_s > audio.duration_s:
        window = round(audio.duration_s)
        analysis = msgspec.structs.replace(
            analysis,
            track=msgspec.structs.replace(analysis.track, window_seconds=window),
            meta=msgspec.structs.replace(
                analysis.meta,
                window_seconds=float(window),
                input_process=f"synthesized: the first {window} s rendered at {ANALYSIS_RATE} Hz",
            ),
        )
    return msgspec.structs.replace(result, features=features, analysis=analysis)
