"""The full audio pass (decode + 12 features + analysis) in × real time per core, against plain librosa.

Target (issue 3): ``analyze_path(path, with_analysis=True)`` at >= 150× real time per core on a 30 s
clip and on a 5 min track; peak memory reported. Baseline, measured the same way in the same run: a
straightforward librosa pipeline (``librosa.load`` at 22,050 Hz mono, ``beat.beat_track``,
``chroma_cqt`` averaged + Krumhansl–Schmuckler key, spectral centroid / rolloff / flatness,
zero-crossing rate, RMS, 13 MFCCs), which the issue says ran at about 73× here.

Method: each (pipeline, file) pair runs in a fresh interpreter pinned to one core
(``os.sched_setaffinity``) with BLAS/OpenMP/numba limited to one thread, so "per core" is literal.
The worker runs the pipeline once untimed — imports, numba compilation of librosa's kernels and
first-touch allocations are excluded — then ``N`` timed runs; × real time = audio seconds / CPU
seconds of the process (median run). Peak RSS is that worker's ``VmHWM`` (it did only this:
interpreter + imports + the pipeline); the RSS after imports is shown for scale. Not ``ru_maxrss``:
``subprocess`` starts workers with vfork, and Linux carries the parent's peak over the exec into the
child's ``ru_maxrss``, so it read the same (the parent's) value for every worker.

Inputs, all real audio: a 30 s FLAC (GTZAN country.00000, 22.05 kHz mono) and a 30 s MP3 (FMA track 2,
44.1 kHz stereo) read from ``../shared/data``, and a 5 min track made by joining four
``librosa_example_audio`` recordings (Vibe Ace, Let's Go Fishin', the ragtime and the waltz), resampled
to 44.1 kHz stereo and written as FLAC and as 192 kbit/s MP3 (PyAV's libmp3lame) into a fresh temp
folder. The machine is shared, so the CPU other processes used during each worker is reported too;
on a busy 2-vCPU machine expect the medians to move by 20-30 % between runs (the fastest run is shown).

Also shown (full run only), the same way: ours with ``with_analysis=False`` and ours' decoder alone
(``tastemaker.audio.decode.decode``), so the share of decoding and resampling is visible.

The library scan half of the issue's speed section (1,000 files, both cores, files/s) is
``benchmarks/audio_scan.py``, registered on its own; ``--scan`` runs it after this one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks import audio_data as data
from benchmarks._harness import (
    CpuWindow,
    Row,
    log,
    print_table,
    proc_status_kib,
    save_results,
    settle,
    temp_dir,
    verdict,
)

TARGET_X_REALTIME = 150.0
TRACK_S = 300.0
TRACK_RATE = 44100
MEDLEY = (
    "Kevin_MacLeod_-_Vibe_Ace",
    "Karissa_Hobbs_-_Lets_Go_Fishin",
    "442789__lena-orsa__happy-music-pistachio-ice-cream-ragtime",
    "147793__setuniman__sweet-waltz-0i-22mi",
)
REPEATS = {"clip": 10, "track": 5}
QUICK_REPEATS = {"clip": 2, "track": 1}
WORKER_TIMEOUT_S = 900
SINGLE_THREAD_ENV = {
    name: "1"
    for name in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "NUMBA_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
    )
}


# -- the two pipelines (run inside the worker) ------------------------------------------------------------


def ours(path: str) -> object:
    from tastemaker.audio.pipeline import analyze_path

    return analyze_path(path, with_analysis=True)


def ours_features_only(path: str) -> object:
    from tastemaker.audio.pipeline import analyze_path

    return analyze_path(path, with_analysis=False)


def librosa_pipeline(path: str) -> dict[str, Any]:
    """What a developer would write with librosa alone for tempo, beats, key and the spectral basics."""
    import librosa

    from benchmarks.audio_accuracy import ks_key

    y, sr = librosa.load(path, sr=22050, mono=True)
    tempo, beats = librosa.beat.beat_track(y=y, sr=sr)
    tonic, mode = ks_key(librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1))
    spectrum = np.abs(librosa.stft(y))
    return {
        "tempo": float(np.atleast_1d(tempo)[0]),
        "beats": len(beats),
        "key": data.key_name(tonic, mode),
        "centroid": float(librosa.feature.spectral_centroid(S=spectrum, sr=sr).mean()),
        "rolloff": float(librosa.feature.spectral_rolloff(S=spectrum, sr=sr).mean()),
        "flatness": float(librosa.feature.spectral_flatness(S=spectrum).mean()),
        "zcr": float(librosa.feature.zero_crossing_rate(y).mean()),
        "rms": float(librosa.feature.rms(S=spectrum).mean()),
        "mfcc": librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13).mean(axis=1).tolist(),
    }


def ours_decode_only(path: str) -> object:
    from tastemaker.audio.decode import decode

    return decode(path)


PIPELINES: dict[str, Callable[[str], object]] = {
    "ours": ours,
    "ours_features_only": ours_features_only,
    "ours_decode_only": ours_decode_only,
    "librosa": librosa_pipeline,
}


def worker(pipeline: str, path: str, *, repeats: int, core: int) -> dict[str, Any]:
    """In a fresh process: pin, warm up once (untimed), then ``repeats`` timed runs."""
    os.sched_setaffinity(0, {core})
    run = PIPELINES[pipeline]
    run(path)  # warm-up: imports, numba JIT, first-touch allocations
    after_warmup_kib = proc_status_kib(os.getpid()).get("VmRSS", 0)
    cpu_s, sys_s, wall_s = [], [], []
    for _ in range(repeats):
        cpu0, sys0, wall0 = time.process_time(), os.times().system, time.perf_counter()
        run(path)
        cpu_s.append(time.process_time() - cpu0)
        sys_s.append(os.times().system - sys0)
        wall_s.append(time.perf_counter() - wall0)
    return {
        "cpu_s": cpu_s,
        "sys_s": sys_s,
        "wall_s": wall_s,
        "peak_rss_kib": proc_status_kib(os.getpid()).get("VmHWM", 0),
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_after_warmup_kib": after_warmup_kib,
        "affinity": sorted(os.sched_getaffinity(0)),
    }


def imports_rss_kib(pipeline: str) -> int:
    """RSS of a fresh worker after importing what ``pipeline`` needs, before it touches audio."""
    if pipeline == "librosa":
        import librosa
        import librosa.beat
        import librosa.feature  # noqa: F401
    else:
        import tastemaker.audio.pipeline  # noqa: F401
    return proc_status_kib(os.getpid()).get("VmRSS", 0)


# -- the inputs ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    label: str
    kind: str
    """``clip`` (30 s) or ``track`` (5 min): which target row and how many repeats."""
    path: Path
    seconds: float


def write_mp3(path: Path, stereo: npt.NDArray[np.float32], rate: int, *, bitrate: int = 192_000) -> None:
    import av

    with av.open(str(path), mode="w") as container:
        stream: Any = container.add_stream("libmp3lame", rate=rate, layout="stereo")
        stream.bit_rate = bitrate
        planar = np.ascontiguousarray(stereo.T)
        for start in range(0, planar.shape[1], 1152):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planar[:, start : start + 1152]), format="fltp", layout="stereo"
            )
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def make_track(folder: Path, *, mp3: bool) -> list[Input]:
    """Four real recordings joined and cut to 5 min, at 44.1 kHz stereo (what a ripped track is)."""
    import soundfile
    import soxr

    examples = {c.name: c.path for c in data.example_clips()}
    parts = [soundfile.read(examples[name], dtype="float32")[0] for name in MEDLEY]
    mono = np.concatenate([p if p.ndim == 1 else p.mean(axis=1) for p in parts])
    if len(mono) < TRACK_S * 22050:
        mono = np.tile(mono, int(np.ceil(TRACK_S * 22050 / len(mono))))
    mono = soxr.resample(mono[: int(TRACK_S * 22050)], 22050, TRACK_RATE).astype(np.float32)
    stereo = np.stack([mono, mono], axis=1) * np.float32(0.9)
    flac = folder / "track-5min.flac"
    soundfile.write(flac, stereo, TRACK_RATE, subtype="PCM_16")
    inputs = [Input("5 min track, FLAC 44.1 kHz stereo", "track", flac, TRACK_S)]
    if mp3:
        write_mp3(folder / "track-5min.mp3", stereo, TRACK_RATE)
        inputs.append(
            Input("5 min track, MP3 192k 44.1 kHz stereo", "track", folder / "track-5min.mp3", TRACK_S)
        )
    return inputs


def make_inputs(folder: Path, *, quick: bool) -> list[Input]:
    import soundfile

    gtzan = next(c.path for c in data.tempo_clips() if c.name == "gtzan_country.00000")
    inputs = [Input("30 s clip, FLAC 22.05 kHz mono", "clip", gtzan, float(soundfile.info(gtzan).duration))]
    if not quick:
        fma = data.echonest_pair().path
        inputs.append(
            Input("30 s clip, MP3 44.1 kHz stereo", "clip", fma, float(soundfile.info(fma).duration))
        )
    return inputs + make_track(folder, mp3=not quick)


# -- the parent --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    pipeline: str
    input: Input
    cpu_s: list[float]
    """User + system CPU seconds of each timed run."""
    wall_s: list[float]
    peak_rss_kib: int
    imports_rss_kib: int
    other_cores: float = float("nan")
    sys_s: list[float] = field(default_factory=list)
    """The system-time part of ``cpu_s`` (page faults of big buffers, file reads)."""
    """CPU other processes on the machine used while the worker ran, in cores."""
    error: str = ""

    @property
    def x_realtime(self) -> float:
        """Audio seconds per CPU second of the median run."""
        return self.input.seconds / statistics.median(self.cpu_s) if self.cpu_s else float("nan")


def run_worker(pipeline: str, item: Input, *, repeats: int, core: int) -> Timing:
    """One fresh, pinned, single-threaded interpreter for one (pipeline, file). The machine is shared,
    so the CPU that other processes used meanwhile is measured too (machine busy - parent - worker)."""
    settle()
    env = {**os.environ, **SINGLE_THREAD_ENV}
    command = [
        sys.executable,
        "-m",
        "benchmarks.audio_speed",
        "--worker",
        pipeline,
        str(item.path),
        "--repeats",
        str(repeats),
        "--core",
        str(core),
    ]
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        with CpuWindow() as window:
            done = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=WORKER_TIMEOUT_S, check=False
            )
    except subprocess.TimeoutExpired:
        return Timing(pipeline, item, [], [], 0, 0, error=f"timed out after {WORKER_TIMEOUT_S} s")
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = children1.ru_utime + children1.ru_stime - children0.ru_utime - children0.ru_stime
    others = max(0.0, window.other_cores - worker_cpu / window.wall_s)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        why = (done.stderr.strip().splitlines() or ["?"])[-1][:200]
        return Timing(pipeline, item, [], [], 0, 0, others, error=why)
    out = json.loads(lines[-1])
    return Timing(
        pipeline,
        item,
        out["cpu_s"],
        out["wall_s"],
        out["peak_rss_kib"],
        out["imports_rss_kib"],
        others,
        out["sys_s"],
    )


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB" if kib else "n/a"


def cpu_text(t: Timing) -> str:
    if not t.cpu_s:
        return "n/a"
    system = sum(t.sys_s) / sum(t.cpu_s) if sum(t.cpu_s) else 0.0
    return f"{statistics.median(t.cpu_s):.3f} ({min(t.cpu_s):.3f}), {100 * system:.0f} % sys"


def x_text(t: Timing) -> str:
    return f"failed: {t.error}" if t.error else f"{t.x_realtime:.0f}×"


def rows_for(timings: dict[tuple[str, str], Timing], inputs: Sequence[Input]) -> tuple[list[Row], bool]:
    rows, met = [], True
    for item in inputs:
        ours_t, base = timings[("ours", item.label)], timings[("librosa", item.label)]
        ok = not ours_t.error and ours_t.x_realtime >= TARGET_X_REALTIME
        met = met and ok
        ratio_text = (
            f"{ours_t.x_realtime / base.x_realtime:.2f}" if not (ours_t.error or base.error) else "n/a"
        )
        rows.append(
            Row(
                f"{item.label}: × real time per core",
                f">= {TARGET_X_REALTIME:.0f}× ({'met' if ok else 'NOT met'})",
                x_text(ours_t),
                f"{x_text(base)} (librosa)",
                ratio_text,
            )
        )
        features_only = timings.get(("ours_features_only", item.label))
        if features_only:
            rows.append(Row("  ours without the analysis object", "", x_text(features_only)))
        decode_only = timings.get(("ours_decode_only", item.label))
        if decode_only:
            rows.append(Row("  ours' decode alone (to 22.05 kHz mono)", "", x_text(decode_only)))
        rows.append(
            Row(
                f"  CPU s per run, median (fastest), sys share; runs {len(ours_t.cpu_s)} / {len(base.cpu_s)}",
                "",
                cpu_text(ours_t),
                cpu_text(base),
            )
        )
        others = f"{ours_t.other_cores:.2f} / {base.other_cores:.2f}"
        rows.append(Row("  CPU used by other processes meanwhile (cores)", "", others))
        rows.append(
            Row(
                "  peak RSS of the worker (after imports)",
                "",
                f"{mib(ours_t.peak_rss_kib)} ({mib(ours_t.imports_rss_kib)})",
                f"{mib(base.peak_rss_kib)} ({mib(base.imports_rss_kib)})",
                f"{ours_t.peak_rss_kib / base.peak_rss_kib:.2f}" if base.peak_rss_kib else "n/a",
            )
        )
    return rows, met


def run_scan(quick: bool) -> int:
    """The library-scan benchmark, which has its own module and results file."""
    command = [sys.executable, "-m", "benchmarks.audio_scan", *(["--quick"] if quick else [])]
    return subprocess.run(command, check=False, timeout=3 * WORKER_TIMEOUT_S).returncode


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks audio_speed", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke version: FLAC inputs only, 1-2 timed runs"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--core", type=int, default=None, help="the core to pin to (default: the last one)")
    parser.add_argument("--scan", action="store_true", help="also run benchmarks/audio_scan.py afterwards")
    parser.add_argument("--worker", nargs=2, metavar=("PIPELINE", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    core = args.core if args.core is not None else max(os.sched_getaffinity(0))
    if args.worker:
        imports = imports_rss_kib(args.worker[0])
        result = worker(args.worker[0], args.worker[1], repeats=args.repeats, core=core)
        print(json.dumps({**result, "imports_rss_kib": imports}))
        return 0
    repeats = QUICK_REPEATS if args.quick else REPEATS
    pipelines = (
        ("ours", "librosa") if args.quick else ("ours", "ours_features_only", "ours_decode_only", "librosa")
    )
    timings: dict[tuple[str, str], Timing] = {}
    with temp_dir("audio-speed", keep=args.keep) as folder:
        try:
            inputs = make_inputs(folder, quick=args.quick)
        except data.DataMissing as exc:
            print(f"skipped: {exc}")
            return 1
        for item in inputs:
            for pipeline in pipelines:
                log(f"{pipeline} on {item.label}: {repeats[item.kind]} runs, core {core}")
                timing = run_worker(pipeline, item, repeats=repeats[item.kind], core=core)
                timings[(pipeline, item.label)] = timing
                log(f"  {x_text(timing)} real time, peak RSS {mib(timing.peak_rss_kib)}")
    rows, met = rows_for(timings, inputs)
    print_table(f"audio full pass, one core (pinned to CPU {core}), median of N runs after one warm-up", rows)
    print(
        f"target {TARGET_X_REALTIME:.0f}× real time per core on every input: {verdict(met, quick=args.quick)}"
    )
    print("(warm-up excluded: librosa's numba compilation and both pipelines' imports are not timed)")
    results = {
        "quick": args.quick,
        "core": core,
        "target_x_realtime": TARGET_X_REALTIME,
        "met": met,
        "timings": [
            {
                "pipeline": t.pipeline,
                "input": t.input.label,
                "seconds": t.input.seconds,
                "x_realtime": t.x_realtime,
                "cpu_s": t.cpu_s,
                "sys_s": t.sys_s,
                "wall_s": t.wall_s,
                "peak_rss_kib": t.peak_rss_kib,
                "imports_rss_kib": t.imports_rss_kib,
                "error": t.error,
            }
            for t in timings.values()
        ],
    }
    print(f"results: {save_results('audio_speed' + ('-quick' if args.quick else ''), results)}")
    if args.scan:
        return run_scan(args.quick)
    print("library scan (1,000 files, both cores): python -m benchmarks audio_scan")
    return 0 if all(not t.error for t in timings.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
