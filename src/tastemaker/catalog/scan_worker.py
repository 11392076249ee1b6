"""The function a scan's worker processes run: one path in, one result or one failure out.

Kept apart from the scan itself so that a worker imports the audio context and nothing else (no
Store, no CLI, no HTTP client): the fork server preloads this module once, and every worker forked
from it starts small and fast.
"""

from __future__ import annotations

from tastemaker.audio.decode import AudioError
from tastemaker.audio.model import AudioResult
from tastemaker.audio.pipeline import analyze_path

Failure = tuple[str, str]
"""(kind, detail): kind is one of ``audio.decode.ERROR_KINDS``, or ``internal`` for a bug."""


def analyse_file(path: str, with_analysis: bool, max_duration_s: float) -> AudioResult | Failure:
    """Analyse one file; a file that cannot be analysed comes back as a ``Failure``, never raises."""
    try:
        return analyze_path(path, with_analysis=with_analysis, max_duration_s=max_duration_s)
    except AudioError as exc:
        return exc.kind, exc.detail
    except Exception as exc:  # a library bug on one odd file must not end the batch
        return "internal", f"{type(exc).__name__}: {exc}"
