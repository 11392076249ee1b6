"""Tastemaker's benchmarks: ``python -m benchmarks [--quick] [NAME ...]`` (``make bench`` runs them all).

Each benchmark is a module with ``main(argv) -> int`` that prints its numbers next to a baseline
measured in the same run, as a Markdown table; see docs/benchmarks.md for what each one measures.
"""

from __future__ import annotations

BENCHMARKS: tuple[str, ...] = (
    "profiler",
    "profile_latency",
    "ingest_http",
    "memory",
    "crash_ingest",
    "audio_accuracy",
    "audio_speed",
    "audio_scan",
    "recommend_quality",
    "recommend_speed",
    "wrapped_scale",
    "scale_out",
    "nlp_quality",
    "annotate_quality",
    "soak",
    "fuzz",
)
