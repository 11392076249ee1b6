"""Accuracy of the audio features against labelled audio, with plain librosa measured in the same run.

Targets (issue 3):
- tempo on the rendered O'Neill's set: Acc2 (within 4 %, ×2 ×3 ×½ ×⅓ allowed) >= 95 %, Acc1 (within
  4 %) >= 80 %; every real clip with a stated tempo within Acc2; beat F-measure reported;
- key on the rendered set: MIREX weighted score >= 0.80;
- speechiness > 0.66 for every speech recording and < 0.33 for every music recording; instrumentalness
  separates vocal from instrumental clips (threshold 0.5); valence/energy vs human ratings and the Echo
  Nest features of one clip are reported, not judged.

The reference is what a developer gets from librosa alone (``audio_reference``): ``beat_track`` (tempo
and beats; its tempo *is* ``feature.tempo`` with the default log-normal prior around 120 BPM, so that
column is not repeated), ``feature.tempo`` with a flat 30–300 BPM prior (the tempogram peak alone), and
a Krumhansl–Schmuckler key from averaged ``chroma_cqt`` (``ks_key``). Speechiness, instrumentalness and
valence have no librosa equivalent; mean RMS stands in as the naive arousal predictor.

Beat F-measure: ``mir_eval.beat.f_measure`` (±70 ms) after ``mir_eval.beat.trim_beats`` (drops beats
before 5 s, as mir_eval recommends) on clips of at least 15 s; madmom's 2.8 s sample is scored untrimmed.

This module runs the benchmark and prints the tables; the metrics are in ``audio_scoring`` and the
sections of the report in ``audio_accuracy_rendered`` and ``audio_accuracy_real``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence

from benchmarks import audio_data as data
from benchmarks._harness import log, print_grid, save_results, verdict
from benchmarks.audio_accuracy_real import (
    echonest,
    emotion,
    instrumental,
    load_real,
    real_beats,
    real_key,
    real_tempo,
    speech_music,
)
from benchmarks.audio_accuracy_rendered import rendered_key, rendered_other, rendered_tempo
from benchmarks.audio_reference import ks_key as ks_key  # re-exported: audio_speed imports it from here
from benchmarks.audio_reference import measure_all
from benchmarks.audio_scoring import HEADLINE, Report

QUICK_TUNES = 30


def print_report(report: Report, *, title: str) -> None:
    print_grid(title, HEADLINE, report.headline)
    for grid_title, header, rows in report.grids:
        print_grid(grid_title, header, rows)


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks audio_accuracy", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help=f"smoke version: {QUICK_TUNES} rendered tunes")
    parser.add_argument("--tunes", type=int, default=None, help="rendered tunes (default 300, --quick 30)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="measuring processes (default %(default)s; timing is not measured here)",
    )
    args = parser.parse_args(argv)
    tunes = args.tunes or (QUICK_TUNES if args.quick else data.RenderParams.n)
    real = load_real()
    for message in real.missing:
        log(f"skipped a data set: {message}")
    try:
        rendered: data.RenderedSet | None = data.rendered_set(data.RenderParams(n=tunes), jobs=args.jobs)
    except data.DataMissing as exc:
        log(f"skipped the rendered O'Neill's set: {exc}")
        rendered = None
    paths = real.paths() + ([rendered.path(c) for c in rendered.clips] if rendered else [])
    if not paths:
        print("no audio data found: nothing to measure (see the messages above)")
        return 1
    log(f"measuring {len(paths)} files with ours and with librosa ({args.jobs} processes)")
    ms = measure_all(paths, jobs=args.jobs)
    errors = Counter(m.ours_error.split(":")[0] for m in ms.values() if m.ours_error)
    report = Report()
    if rendered:
        rendered_tempo(report, rendered, ms)
        rendered_key(report, rendered, ms)
        rendered_other(report, rendered, ms)
    for section in (real_tempo, real_beats, real_key, speech_music, instrumental, emotion, echonest):
        section(report, real, ms)
    if errors:
        first = next(m for m in ms.values() if m.ours_error)
        report.headline.append(
            [
                "files ours failed on",
                "0",
                str(sum(errors.values())),
                "",
                "NO",
                f"first: {first.ours_error[:80]}",
            ]
        )
    set_note = f"{len(rendered.clips)} rendered tunes" if rendered else "no rendered set"
    print_report(
        report,
        title=f"audio accuracy ({set_note}, {len(paths) - (len(rendered.clips) if rendered else 0)} "
        "real recordings; ours vs plain librosa)",
    )
    met = all(report.met.values()) and bool(report.met) and not errors
    print(
        f"targets (tempo Acc1/Acc2, real-clip tempo, key, speechiness, instrumentalness): "
        f"{verdict(met, quick=args.quick)}"
    )
    per_file = {
        m.path: {
            "ours": m.ours,
            "ours_error": m.ours_error,
            "ours_s": round(m.ours_s, 3),
            "librosa": {k: v for k, v in m.ref.items() if k != "beats"},
        }
        for m in ms.values()
    }
    results = {
        "quick": args.quick,
        "rendered_set": str(rendered.folder) if rendered else None,
        "met": report.met,
        "missing_data": real.missing,
        **report.results,
        "per_file": per_file,
    }
    print(f"results: {save_results('audio_accuracy' + ('-quick' if args.quick else ''), results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
