"""The accuracy report's sections on the real recordings in ``../shared/data``.

Few clips, but real production: the targets here are all-or-nothing (every clip with a stated tempo
within Acc2, every speech recording above the speechiness bar), and valence, energy and the Echo Nest
comparison are reported, not judged, because their labels are too few or too soft.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import audio_data as data
from benchmarks.audio_reference import Measured, feature
from benchmarks.audio_scoring import (
    INSTRUMENTAL_THRESHOLD,
    MUSIC_MAX,
    SPEECH_MIN,
    TRIM_MIN_S,
    Report,
    acc2,
    beat_f,
    fmt,
    headline,
    ratio_class,
    stated_key_score,
    tally,
)


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
            tally(ours_ok) if has_ours else "n/a",
            tally(base_ok),
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
                tally(flags) if has_ours else "n/a",
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
