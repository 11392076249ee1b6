"""The accuracy report's sections on the rendered O'Neill's set, where key and tempo are known exactly.

Hundreds of labelled tunes make breakdowns meaningful here (by meter, mode, instrument, and how a
wrong answer relates to the truth), which the handful of real clips cannot support.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from benchmarks import audio_data as data
from benchmarks.audio_reference import Measured, feature
from benchmarks.audio_scoring import (
    INSTRUMENTAL_THRESHOLD,
    MUSIC_MAX,
    TARGET_ACC1,
    TARGET_ACC2,
    TARGET_KEY,
    Report,
    acc1,
    acc2,
    fmt,
    headline,
    key_class,
    key_relation,
    key_score,
    pct,
    ratio_class,
    share,
)


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
