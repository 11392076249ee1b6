"""Accuracy of the audio features against labelled audio, with plain librosa measured in the same run.

Targets (issue 3):
- tempo on the rendered O'Neill's set: Acc2 (within 4 %, ×2 ×3 ×½ ×⅓ allowed) >= 95 %, Acc1 (within
  4 %) >= 80 %; every real clip with a stated tempo within Acc2; beat F-measure reported;
- key on the rendered set: MIREX weighted score >= 0.80;
- speechiness > 0.66 for every speech recording and < 0.33 for every music recording; instrumentalness
  separates vocal from instrumental clips (threshold 0.5); valence/energy vs human ratings and the Echo
  Nest features of one clip are reported, not judged.

The reference is what a developer gets from librosa alone: ``beat_track`` (tempo and beats; its
tempo *is* ``feature.tempo`` with the default log-normal prior around 120 BPM, so that column is not
repeated), ``feature.tempo`` with a flat 30–300 BPM prior (the tempogram peak alone), and a
Krumhansl–Schmuckler key from averaged ``chroma_cqt`` (``ks_key`` below). Speechiness,
instrumentalness and valence have no librosa equivalent; mean RMS stands in as the naive arousal
predictor.

Beat F-measure: ``mir_eval.beat.f_measure`` (±70 ms) after ``mir_eval.beat.trim_beats`` (drops beats
before 5 s, as mir_eval recommends) on clips of at least 15 s; madmom's 2.8 s sample is scored untrimmed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import audio_data as data
from benchmarks._harness import log, save_results, verdict

TARGET_ACC2 = 0.95
TARGET_ACC1 = 0.80
TARGET_KEY = 0.80
SPEECH_MIN = 0.66
MUSIC_MAX = 0.33
INSTRUMENTAL_THRESHOLD = 0.5
TEMPO_TOLERANCE = 0.04
OCTAVE_FACTORS = (1.0, 2.0, 3.0, 1 / 2, 1 / 3)
RATIO_NAMES = {
    1.0: "×1",
    2.0: "×2",
    0.5: "×1/2",
    3.0: "×3",
    1 / 3: "×1/3",
    1.5: "×3/2",
    2 / 3: "×2/3",
    4.0: "×4",
    0.25: "×1/4",
}
TRIM_MIN_S = 15.0
QUICK_TUNES = 30
SR = 22050
# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
KS_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KS_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


# -- the plain-librosa reference -------------------------------------------------------------------------


def ks_key(chroma_mean: np.ndarray[Any, np.dtype[np.floating[Any]]]) -> tuple[int, int]:
    """Krumhansl–Schmuckler: the (tonic, mode) whose rotated profile correlates best with the mean chroma."""
    best = (-2.0, 0, 1)
    for tonic in range(12):
        for mode, profile in ((1, KS_MAJOR), (0, KS_MINOR)):
            r = float(np.corrcoef(chroma_mean, np.roll(profile, tonic))[0, 1])
            if r > best[0]:
                best = (r, tonic, mode)
    return best[1], best[2]


def librosa_reference(path: str) -> dict[str, Any]:
    """What plain librosa says about one file: tempi, beat times, key, mean RMS."""
    import librosa
    from scipy.stats import uniform

    y, sr = librosa.load(path, sr=SR, mono=True)
    onset_env = librosa.onset.onset_strength(y=y, sr=sr)
    bt_tempo, beats = librosa.beat.beat_track(onset_envelope=onset_env, sr=sr, units="time")
    tempo = librosa.feature.tempo(onset_envelope=onset_env, sr=sr, prior=uniform(30, 270))
    tonic, mode = ks_key(librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1))
    return {
        "beat_track_tempo": float(np.atleast_1d(bt_tempo)[0]),
        "tempo": float(tempo[0]),
        "beats": [round(float(b), 4) for b in beats],
        "key": data.key_name(tonic, mode),
        "rms": float(librosa.feature.rms(y=y).mean()),
    }


# -- measuring one file ------------------------------------------------------------------------------------


@dataclass
class Measured:
    """Ours (features + beat times, or the error) and librosa's numbers for one file."""

    path: str
    ours: dict[str, Any] | None = None
    ours_beats: list[float] = field(default_factory=list)
    ours_error: str = ""
    ref: dict[str, Any] = field(default_factory=dict)
    ours_s: float = 0.0

    @property
    def key(self) -> str | None:
        if self.ours is None:
            return None
        return "X" if self.ours["key"] < 0 else data.key_name(self.ours["key"], self.ours["mode"])


def measure(path: str) -> Measured:
    """Both pipelines on one file; an exception from ours is recorded, not raised, so the librosa
    half still runs (and a half-written pipeline still gets a report)."""
    import msgspec

    from tastemaker.audio.pipeline import analyze_path

    warnings.simplefilter("ignore")
    result = Measured(path)
    started = time.perf_counter()
    try:
        audio = analyze_path(path, with_analysis=True)
        result.ours = msgspec.to_builtins(audio.features)
        if audio.analysis is not None:
            result.ours_beats = [round(b.start, 4) for b in audio.analysis.beats]
    except Exception as exc:  # any failure of the system under test is a finding, not a crash
        result.ours_error = f"{type(exc).__name__}: {exc}"[:300]
    result.ours_s = time.perf_counter() - started
    result.ref = librosa_reference(path)
    return result


def measure_all(paths: Sequence[Path], *, jobs: int) -> dict[str, Measured]:
    started = time.monotonic()
    out: dict[str, Measured] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for index, measured in enumerate(pool.map(measure, [str(p) for p in paths]), 1):
            out[measured.path] = measured
            if index % 25 == 0 or index == len(paths):
                log(f"measured {index}/{len(paths)} files in {time.monotonic() - started:.0f} s")
    return out


# -- scoring helpers ---------------------------------------------------------------------------------------


def acc1(estimate: float | None, references: Iterable[float]) -> bool:
    return estimate is not None and any(abs(estimate - r) <= TEMPO_TOLERANCE * r for r in references)


def acc2(estimate: float | None, references: Iterable[float]) -> bool:
    return any(acc1(estimate, [r * f]) for r in references for f in OCTAVE_FACTORS)


def ratio_class(estimate: float | None, reference: float) -> str:
    """Which metrical level a tempo landed on: "×1", "×2", "×3/2", … (within 4 %), "other" or "none"."""
    if estimate is None:
        return "none"
    return next((name for f, name in RATIO_NAMES.items() if acc1(estimate, [reference * f])), "other")


def key_class(reference: str, estimate: str | None) -> str:
    """MIREX's categories: exact, fifth, relative, parallel, other."""
    import mir_eval

    if estimate is None:
        return "none"
    score = float(mir_eval.key.weighted_score(reference, estimate))
    return {1.0: "exact", 0.5: "fifth", 0.3: "relative", 0.2: "parallel"}.get(score, "other")


def key_relation(reference: str, estimate: str | None) -> str:
    """How a wrong key relates to the true one: "dominant" (+7, same mode), "subdominant", "relative",
    "parallel", or the interval and modes ("+1 st, major->minor"). Exact keys give "exact"."""
    if estimate is None or estimate == "X":
        return "no key"
    (ref_pc, ref_mode), (est_pc, est_mode) = _parse_key(reference), _parse_key(estimate)
    step = (est_pc - ref_pc) % 12
    if step == 0 and ref_mode == est_mode:
        return "exact"
    if ref_mode == est_mode and step in (5, 7):
        return "dominant (+7)" if step == 7 else "subdominant (+5)"
    if ref_mode != est_mode and step == (9 if ref_mode == "major" else 3):
        return "relative"
    if step == 0:
        return "parallel"
    return f"{step:+d} st, {ref_mode}->{est_mode}" if ref_mode != est_mode else f"{step:+d} st, same mode"


def _parse_key(name: str) -> tuple[int, str]:
    tonic, mode = name.split()
    return data.PITCH_CLASSES.index(tonic) if tonic in data.PITCH_CLASSES else _flat_or_sharp(tonic), mode


def _flat_or_sharp(tonic: str) -> int:
    pc = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}[tonic[0]]
    return (pc + tonic[1:].count("#") - tonic[1:].count("b")) % 12


def key_score(reference: str, estimate: str | None) -> float:
    import mir_eval

    return 0.0 if estimate is None else float(mir_eval.key.weighted_score(reference, estimate))


def beat_f(reference: Sequence[float], estimate: Sequence[float], *, duration_s: float) -> float:
    import mir_eval

    ref, est = np.asarray(reference, dtype=float), np.asarray(estimate, dtype=float)
    if duration_s >= TRIM_MIN_S:
        ref, est = mir_eval.beat.trim_beats(ref), mir_eval.beat.trim_beats(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(mir_eval.beat.f_measure(ref, est))


def share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else float("nan")


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or value != value else f"{value:.{digits}f}"


def pct(value: float) -> str:
    return "n/a" if value != value else f"{100 * value:.1f} %"


def grid(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table on stdout with any columns (the harness's ``print_table`` has five fixed ones)."""
    cells = [list(header), *[list(r) for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n### {title}\n")
    for index, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print(flush=True)


def feature(m: Measured, name: str) -> float | None:
    return None if m.ours is None else float(m.ours[name])


HEADLINE = ("metric", "target", "ours", "librosa", "met?", "ratio")


def headline(
    metric: str, target: str, ours: float, base: float, met: bool | None, *, as_pct: bool
) -> list[str]:
    show: Callable[[float], str] = pct if as_pct else fmt
    met_text = "n/a" if met is None or ours != ours else ("yes" if met else "NO")
    ratio = f"{ours / base:.2f}" if base and ours == ours and base == base else "n/a"
    return [metric, target, show(ours), show(base), met_text, ratio]


@dataclass
class Report:
    """What the sections found: headline rows, detail tables, JSON, and which targets were met."""

    headline: list[list[str]] = field(default_factory=list)
    grids: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    met: dict[str, bool] = field(default_factory=dict)

    def grid(self, title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.grids.append((title, list(header), [list(r) for r in rows]))


def _count(flags: Sequence[bool]) -> str:
    return f"{sum(flags)}/{len(flags)}"


# -- the rendered set ------------------------------------------------------------------------------------


def meter_kind(meter: str) -> str:
    return "compound" if meter in data.COMPOUND_METERS else "simple"


def ours_key(m: Measured) -> str | None:
    return m.key


def librosa_key(m: Measured) -> str | None:
    return str(m.ref["key"])


def rendered_tempo(report: Report, rendered: data.RenderedSet, ms: dict[str, Measured]) -> None:
    clips = rendered.clips
    pairs = [(c, ms[str(rendered.path(c))]) for c in clips]
    estimators: dict[str, Callable[[Measured], float | None]] = {
        "ours": lambda m: feature(m, "tempo"),
        "beat_track": lambda m: float(m.ref["beat_track_tempo"]),
        "flat prior": lambda m: float(m.ref["tempo"]),
    }
    scores = {
        name: (
            [acc1(get(m), [c.tempo_bpm]) for c, m in pairs],
            [acc2(get(m), [c.tempo_bpm]) for c, m in pairs],
        )
        for name, get in estimators.items()
    }
    (o1, o2), (b1, b2) = scores["ours"], scores["beat_track"]
    has_ours = any(m.ours is not None for _, m in pairs)
    report.headline.append(
        headline(
            f"tempo Acc2, rendered set ({len(clips)})",
            ">= 95 %",
            share(o2) if has_ours else float("nan"),
            share(b2),
            share(o2) >= TARGET_ACC2,
            as_pct=True,
        )
    )
    report.headline.append(
        headline(
            f"tempo Acc1, rendered set ({len(clips)})",
            ">= 80 %",
            share(o1) if has_ours else float("nan"),
            share(b1),
            share(o1) >= TARGET_ACC1,
            as_pct=True,
        )
    )
    report.met["tempo_acc2_rendered"] = has_ours and share(o2) >= TARGET_ACC2
    report.met["tempo_acc1_rendered"] = has_ours and share(o1) >= TARGET_ACC1
    by_meter: list[list[str]] = []
    for meter in [*sorted({c.meter for c in clips}), "all"]:
        idx = [i for i, (c, _) in enumerate(pairs) if meter in ("all", c.meter)]
        cells = [pct(share([scores[n][k][i] for i in idx])) for n in estimators for k in (0, 1)]
        by_meter.append([meter, str(len(idx)), *cells])
    report.grid(
        "tempo on the rendered set, by meter (Acc1 / Acc2)",
        [
            "meter",
            "n",
            "ours Acc1",
            "ours Acc2",
            "beat_track Acc1",
            "beat_track Acc2",
            "flat prior Acc1",
            "flat prior Acc2",
        ],
        by_meter,
    )
    levels = {
        name: Counter(f"{meter_kind(c.meter)} {ratio_class(get(m), c.tempo_bpm)}" for c, m in pairs)
        for name, get in estimators.items()
    }
    keys = sorted(set().union(*levels.values()))
    report.grid(
        "rendered set: estimated / true beat tempo (within 4 %), counts",
        ["meter kind, level", *estimators],
        [[k, *(str(levels[n][k]) for n in estimators)] for k in keys],
    )
    misses = [(c, m) for (c, m), ok in zip(pairs, o2, strict=True) if not ok and m.ours is not None]
    report.grid(
        f"rendered tunes outside Acc2 for ours ({len(misses)}; first 25)",
        ["tune", "title", "meter", "instrument", "true BPM", "ours", "level", "beat_track"],
        [
            [
                c.tune_id,
                c.title[:28],
                c.meter,
                c.instrument,
                f"{c.tempo_bpm:.0f}",
                fmt(feature(m, "tempo"), 1),
                ratio_class(feature(m, "tempo"), c.tempo_bpm),
                f"{m.ref['beat_track_tempo']:.1f}",
            ]
            for c, m in misses[:25]
        ],
    )
    report.results["rendered_tempo"] = {
        name: {"acc1": share(a), "acc2": share(b)} for name, (a, b) in scores.items()
    }
    report.results["rendered_tempo_levels"] = {n: dict(v) for n, v in levels.items()}


def rendered_key(report: Report, rendered: data.RenderedSet, ms: dict[str, Measured]) -> None:
    pairs = [(c, ms[str(rendered.path(c))]) for c in rendered.clips]
    has_ours = any(m.ours is not None for _, m in pairs)
    ours = [key_score(c.key, m.key) for c, m in pairs]
    base = [key_score(c.key, m.ref["key"]) for c, m in pairs]
    mean_ours = float(np.mean(ours)) if has_ours else float("nan")
    report.headline.append(
        headline(
            f"key MIREX score, rendered set ({len(pairs)})",
            ">= 0.80",
            mean_ours,
            float(np.mean(base)),
            mean_ours >= TARGET_KEY,
            as_pct=False,
        )
    )
    report.met["key_rendered"] = has_ours and mean_ours >= TARGET_KEY
    rows = []
    for mode_name, mode in (("major", 1), ("minor", 0), ("all", -1)):
        sel = [(c, m) for c, m in pairs if mode in (-1, c.mode)]
        for who, get in (("ours", ours_key), ("librosa KS", librosa_key)):
            counts = Counter(key_class(c.key, get(m)) for c, m in sel)
            score = float(np.mean([key_score(c.key, get(m)) for c, m in sel])) if sel else float("nan")
            rows.append(
                [
                    mode_name,
                    who,
                    str(len(sel)),
                    fmt(score),
                    *(str(counts[k]) for k in ("exact", "fifth", "relative", "parallel", "other", "none")),
                ]
            )
    report.grid(
        "key on the rendered set, by true mode (MIREX categories, counts)",
        ["true mode", "who", "n", "score", "exact", "fifth", "relative", "parallel", "other", "none"],
        rows,
    )
    by_instrument = []
    for instrument in sorted({c.instrument for c in rendered.clips}):
        idx = [i for i, (c, _) in enumerate(pairs) if c.instrument == instrument]
        tempo_ok = [acc2(feature(pairs[i][1], "tempo"), [pairs[i][0].tempo_bpm]) for i in idx]
        by_instrument.append(
            [
                instrument,
                str(len(idx)),
                fmt(float(np.mean([ours[i] for i in idx]))),
                fmt(float(np.mean([base[i] for i in idx]))),
                pct(share(tempo_ok)),
            ]
        )
    report.grid(
        "rendered set by instrument",
        ["instrument", "n", "key score ours", "key score librosa KS", "tempo Acc2 ours"],
        by_instrument,
    )
    wrong = [(c, m) for c, m in pairs if m.ours is not None and key_class(c.key, m.key) in ("other", "none")]
    report.grid(
        f"rendered tunes whose key ours gets unrelated ({len(wrong)}; first 25)",
        ["tune", "title", "abc K:", "true key", "ours", "librosa KS", "instrument"],
        [
            [
                c.tune_id,
                c.title[:28],
                f"{c.abc_key}{c.transpose:+d}",
                c.key,
                str(m.key),
                m.ref["key"],
                c.instrument,
            ]
            for c, m in wrong[:25]
        ],
    )
    relations = {
        who: Counter(key_relation(c.key, get(m)) for c, m in pairs)
        for who, get in (("ours", ours_key), ("librosa KS", librosa_key))
    }
    agree = sum(1 for c, m in pairs if m.key == m.ref["key"] and key_score(c.key, m.key) < 1.0)
    names = sorted(set().union(*relations.values()) - {"exact"}, key=lambda r: -relations["ours"][r])
    report.grid(
        "rendered set: how wrong keys relate to the true key (counts)",
        ["relation", "ours", "librosa KS"],
        [[r, str(relations["ours"][r]), str(relations["librosa KS"][r])] for r in names]
        + [["(ours and librosa agree on the same wrong key: label noise?)", str(agree), str(agree)]],
    )
    report.results["rendered_key"] = {
        "ours": mean_ours,
        "librosa_ks": float(np.mean(base)),
        "relations": {k: dict(v) for k, v in relations.items()},
    }
    report.results["rendered_per_tune"] = [
        {
            "tune": c.tune_id,
            "meter": c.meter,
            "instrument": c.instrument,
            "tempo": c.tempo_bpm,
            "ours_tempo": feature(m, "tempo"),
            "beat_track_tempo": m.ref["beat_track_tempo"],
            "key": c.key,
            "ours_key": m.key,
            "ks_key": m.ref["key"],
            "ours_time_signature": feature(m, "time_signature"),
        }
        for c, m in pairs
    ]


def rendered_other(report: Report, rendered: data.RenderedSet, ms: dict[str, Measured]) -> None:
    """Time signature, speechiness and instrumentalness on the rendered set: reported, no target."""
    pairs = [
        (c, ms[str(rendered.path(c))]) for c in rendered.clips if ms[str(rendered.path(c))].ours is not None
    ]
    if not pairs:
        return
    rows = []
    for group, meters in (("triple (3/4, 9/8)", {"3/4", "9/8"}), ("duple/quadruple", None)):
        sel = [(c, m) for c, m in pairs if (c.meter in meters if meters else c.beats_per_bar != 3)]
        expected = 3 if meters else 4
        got = Counter(int(feature(m, "time_signature") or 0) for _, m in sel)
        rows.append(
            [
                group,
                str(len(sel)),
                str(expected),
                pct(got[expected] / len(sel) if sel else float("nan")),
                ", ".join(f"{k}: {v}" for k, v in sorted(got.items())),
            ]
        )
    report.grid(
        "rendered set: time_signature (reported; librosa has none)",
        ["meter", "n", "expected", "share", "ours (value: count)"],
        rows,
    )
    speech = [feature(m, "speechiness") or 0.0 for _, m in pairs]
    instr = [feature(m, "instrumentalness") or 0.0 for _, m in pairs]
    report.grid(
        "rendered set (solo instruments, no voice): speechiness and instrumentalness",
        ["feature", "expected", "share as expected", "min", "median", "max"],
        [
            [
                "speechiness",
                f"< {MUSIC_MAX}",
                pct(share([s < MUSIC_MAX for s in speech])),
                fmt(min(speech)),
                fmt(float(np.median(speech))),
                fmt(max(speech)),
            ],
            [
                "instrumentalness",
                f"> {INSTRUMENTAL_THRESHOLD}",
                pct(share([v > INSTRUMENTAL_THRESHOLD for v in instr])),
                fmt(min(instr)),
                fmt(float(np.median(instr))),
                fmt(max(instr)),
            ],
        ],
    )


# -- the real clips ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealSets:
    """Whatever of the shared real clips is present (a missing data set leaves its list empty)."""

    tempo: list[data.TempoClip]
    examples: list[data.ExampleClip]
    emo: list[data.EmoClip]
    echonest: data.EchoNestPair | None
    missing: list[str]

    def paths(self) -> list[Path]:
        found = [c.path for c in self.tempo] + [c.path for c in self.examples] + [c.path for c in self.emo]
        return found + ([self.echonest.path] if self.echonest else [])


def load_real() -> RealSets:
    missing: list[str] = []

    def attempt(loader: Callable[[], Any], default: Any) -> Any:
        try:
            return loader()
        except data.DataMissing as exc:
            missing.append(str(exc))
            return default

    return RealSets(
        attempt(data.tempo_clips, []),
        attempt(data.example_clips, []),
        attempt(data.emo_clips, []),
        attempt(data.echonest_pair, None),
        missing,
    )


def real_tempo(report: Report, real: RealSets, ms: dict[str, Measured]) -> None:
    clips = [(c.name, c.tempi_bpm, ms[str(c.path)]) for c in real.tempo]
    clips += [(c.name[:30], (c.tempo_bpm,), ms[str(c.path)]) for c in real.examples if c.tempo_bpm]
    if not clips:
        return
    rows, ours_ok, base_ok = [], [], []
    for name, tempi, m in clips:
        ours, bt, ft = feature(m, "tempo"), float(m.ref["beat_track_tempo"]), float(m.ref["tempo"])
        ours_ok.append(acc2(ours, tempi))
        base_ok.append(acc2(bt, tempi))
        rows.append(
            [
                name,
                " or ".join(f"{t:g}" for t in tempi),
                fmt(ours, 1),
                f"{ratio_class(ours, tempi[0])} {'ok' if acc2(ours, tempi) else 'MISS'}",
                f"{bt:.1f}",
                f"{ratio_class(bt, tempi[0])} {'ok' if acc2(bt, tempi) else 'MISS'}",
                f"{ft:.1f}",
                f"{ratio_class(ft, tempi[0])} {'ok' if acc2(ft, tempi) else 'MISS'}",
            ]
        )
    has_ours = any(m.ours is not None for *_, m in clips)
    report.headline.append(
        [
            "real clips with a stated tempo within Acc2",
            f"all {len(clips)}",
            _count(ours_ok) if has_ours else "n/a",
            _count(base_ok),
            ("yes" if all(ours_ok) else "NO") if has_ours else "n/a",
            "",
        ]
    )
    report.met["tempo_real_acc2"] = has_ours and all(ours_ok)
    report.grid(
        "tempo on real clips (level vs the first annotated tempo; ok = within Acc2)",
        ["clip", "annotated BPM", "ours", "ours level", "beat_track", "level", "flat prior", "level"],
        rows,
    )
    report.results["real_tempo"] = [
        {"clip": r[0], "annotated": r[1], "ours": r[2], "beat_track": r[4], "flat_prior_tempo": r[6]}
        for r in rows
    ]


def real_beats(report: Report, real: RealSets, ms: dict[str, Measured]) -> None:
    import soundfile

    rows, ours_f, base_f = [], [], []
    for clip in real.tempo:
        if not clip.beats_s:
            continue
        m = ms[str(clip.path)]
        duration = float(soundfile.info(str(clip.path)).duration)
        f_ours = (
            beat_f(clip.beats_s, m.ours_beats, duration_s=duration) if m.ours is not None else float("nan")
        )
        f_base = beat_f(clip.beats_s, m.ref["beats"], duration_s=duration)
        ours_f.append(f_ours)
        base_f.append(f_base)
        rows.append(
            [
                clip.name,
                f"{duration:.1f}",
                "yes" if duration >= TRIM_MIN_S else "no (too short)",
                str(len(clip.beats_s)),
                str(len(m.ours_beats)),
                fmt(f_ours),
                str(len(m.ref["beats"])),
                fmt(f_base),
            ]
        )
    if not rows:
        return
    report.headline.append(
        headline(
            f"beat F-measure, mean of {len(rows)} annotated clips",
            "reported",
            float(np.mean(ours_f)),
            float(np.mean(base_f)),
            None,
            as_pct=False,
        )
    )
    report.grid(
        "beat F-measure (mir_eval, ±70 ms; first 5 s trimmed where the clip is >= 15 s)",
        [
            "clip",
            "seconds",
            "trimmed",
            "annotated beats",
            "ours beats",
            "ours F",
            "beat_track beats",
            "beat_track F",
        ],
        rows,
    )
    report.results["beats"] = [
        dict(zip(("clip", "f_ours", "f_beat_track"), (r[0], r[5], r[7]), strict=True)) for r in rows
    ]


def stated_key_score(stated: str, estimate: str | None) -> float:
    """MIREX score against a stated key; a bare tonic ("F") scores the better of its two modes."""
    if " " in stated:
        return key_score(stated, estimate)
    return max(key_score(f"{stated} {mode}", estimate) for mode in ("major", "minor"))


def real_key(report: Report, real: RealSets, ms: dict[str, Measured]) -> None:
    rows = []
    for clip in real.examples:
        if clip.key:
            m = ms[str(clip.path)]
            rows.append(
                [
                    clip.name[:40],
                    clip.key,
                    str(m.key),
                    f"{stated_key_score(clip.key, m.key):.1f}",
                    m.ref["key"],
                    f"{stated_key_score(clip.key, m.ref['key']):.1f}",
                ]
            )
    if real.echonest:
        for track, label in sorted(real.echonest.fma_keys.items()):
            rows.append([f"fma_keys track {track}", label, "audio absent", "", "not in shared data", ""])
    report.grid(
        "key on real clips (MIREX score; a stated bare tonic takes the better mode)",
        ["clip", "stated key", "ours", "score", "librosa KS", "score"],
        rows,
    )
    report.results["real_key"] = rows


def speech_music(report: Report, real: RealSets, ms: dict[str, Measured]) -> None:
    groups: list[tuple[str, Path, str]] = [(c.name, c.path, c.kind) for c in real.examples]
    groups += [(c.name, c.path, "music") for c in real.tempo]
    groups += [(f"emomusic {c.song_id}", c.path, "music") for c in real.emo]
    groups += [("fma_000002", real.echonest.path, "music")] if real.echonest else []
    rows: list[list[str]] = []
    speech_ok: list[bool] = []
    music_ok: list[bool] = []
    for name, path, kind in groups:
        value = feature(ms[str(path)], "speechiness")
        ok = (
            None
            if value is None or kind == "animal"
            else (value > SPEECH_MIN if kind == "speech" else value < MUSIC_MAX)
        )
        if ok is not None:
            (speech_ok if kind == "speech" else music_ok).append(ok)
        expected = {"speech": f"> {SPEECH_MIN}", "music": f"< {MUSIC_MAX}"}.get(kind, "(reported)")
        rows.append([name[:40], kind, expected, fmt(value), "" if ok is None else ("ok" if ok else "MISS")])
    if not rows:
        return
    has_ours = bool(speech_ok or music_ok)
    for label, flags, target in (
        ("speech recordings with speechiness > 0.66", speech_ok, "all"),
        ("music recordings with speechiness < 0.33", music_ok, "all"),
    ):
        report.headline.append(
            [
                label,
                target,
                _count(flags) if has_ours else "n/a",
                "no librosa equivalent",
                ("yes" if all(flags) else "NO") if has_ours else "n/a",
                "",
            ]
        )
    report.met["speechiness"] = has_ours and all(speech_ok) and all(music_ok)
    report.grid("speechiness per recording", ["recording", "kind", "expected", "ours", ""], rows)
    report.results["speechiness"] = rows


def instrumental(report: Report, real: RealSets, ms: dict[str, Measured]) -> None:
    labelled: list[tuple[str, Path, bool, str]] = [
        (c.name, c.path, bool(c.vocal), "README")
        for c in real.examples
        if c.kind == "music" and c.vocal is not None
    ]
    labelled += [
        (f"emomusic {c.song_id}", c.path, c.vocal, f"whisper: {c.transcript[:30]!r}") for c in real.emo
    ]
    values = [
        (name, vocal, why, feature(ms[str(path)], "instrumentalness")) for name, path, vocal, why in labelled
    ]
    if not values:
        return
    rows = [
        [
            name[:40],
            "vocal" if vocal else "instrumental",
            why,
            fmt(v),
            "" if v is None else ("ok" if (v < INSTRUMENTAL_THRESHOLD) == vocal else "MISS"),
        ]
        for name, vocal, why, v in values
    ]
    vocal_v = [v for _, vocal, _, v in values if vocal and v is not None]
    instr_v = [v for _, vocal, _, v in values if not vocal and v is not None]
    has_ours = bool(vocal_v or instr_v)
    at_half = (
        has_ours
        and all(v < INSTRUMENTAL_THRESHOLD for v in vocal_v)
        and all(v > INSTRUMENTAL_THRESHOLD for v in instr_v)
    )
    some = has_ours and bool(vocal_v) and bool(instr_v) and max(vocal_v) < min(instr_v)
    report.headline.append(
        [
            "instrumentalness separates vocal / instrumental at 0.5",
            f"{len(vocal_v)} vocal, {len(instr_v)} instr.",
            ("yes" if at_half else "no") + (" (some threshold does)" if some and not at_half else ""),
            "no librosa equivalent",
            "n/a" if not has_ours else ("yes" if at_half else "NO"),
            "",
        ]
    )
    report.met["instrumentalness"] = at_half
    report.grid(
        "instrumentalness per music recording (vocal should be < 0.5, instrumental > 0.5)",
        ["recording", "label", "why", "ours", ""],
        rows,
    )
    report.results["instrumentalness"] = rows


def emotion(report: Report, real: RealSets, ms: dict[str, Measured]) -> None:
    from scipy.stats import spearmanr

    clips = [(c, ms[str(c.path)]) for c in real.emo]
    if not clips:
        return
    rows = [
        [
            str(c.song_id),
            "vocal" if c.vocal else "instr.",
            f"{c.valence:.1f}",
            fmt(feature(m, "valence")),
            f"{c.arousal:.1f}",
            fmt(feature(m, "energy")),
            f"{m.ref['rms']:.4f}",
        ]
        for c, m in clips
    ]
    report.grid(
        "emomusic clips: human valence/arousal (1-9) vs ours",
        [
            "song",
            "voice",
            "human valence",
            "ours valence",
            "human arousal",
            "ours energy",
            "librosa mean RMS",
        ],
        rows,
    )
    human_v, human_a = [c.valence for c, _ in clips], [c.arousal for c, _ in clips]
    rms = [float(m.ref["rms"]) for _, m in clips]

    def rho(xs: Sequence[float | None], ys: Sequence[float]) -> float:
        if any(x is None for x in xs) or len(set(xs)) < 2:
            return float("nan")
        return float(spearmanr(xs, ys).statistic)

    valence_rho = rho([feature(m, "valence") for _, m in clips], human_v)
    energy_rho = rho([feature(m, "energy") for _, m in clips], human_a)
    rms_rho = rho(rms, human_a)
    report.headline.append(
        [
            f"Spearman valence vs human valence ({len(clips)} clips)",
            "reported",
            fmt(valence_rho, 2),
            "n/a",
            "",
            "",
        ]
    )
    report.headline.append(
        [
            f"Spearman energy vs human arousal ({len(clips)} clips)",
            "reported",
            fmt(energy_rho, 2),
            f"{fmt(rms_rho, 2)} (mean RMS)",
            "",
            "",
        ]
    )
    report.results["emotion"] = {
        "valence_rho": valence_rho,
        "energy_rho": energy_rho,
        "rms_arousal_rho": rms_rho,
    }


def echonest(report: Report, real: RealSets, ms: dict[str, Measured]) -> None:
    if real.echonest is None:
        return
    m = ms[str(real.echonest.path)]
    rows = []
    for name, theirs in real.echonest.features.items():
        ours = feature(m, name)
        base = m.ref["beat_track_tempo"] if name == "tempo" else None
        diff = "" if ours is None else f"{ours - theirs:+.3f}"
        level = f" ({ratio_class(ours, theirs)})" if name == "tempo" else ""
        rows.append([name, f"{theirs:g}", fmt(ours) + level, diff, "" if base is None else f"{base:.1f}"])
    report.grid(
        "fma_000002 (AWOL - Food): ours vs Echo Nest",
        ["feature", "Echo Nest", "ours", "ours - EN", "librosa beat_track"],
        rows,
    )
    report.results["echonest"] = rows


# -- the run ------------------------------------------------------------------------------------------------


def print_report(report: Report, *, title: str) -> None:
    grid(title, HEADLINE, report.headline)
    for grid_title, header, rows in report.grids:
        grid(grid_title, header, rows)


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
