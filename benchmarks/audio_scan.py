"""``tastemaker scan`` of a generated library: files/s, audio seconds per second, cores used, peak RSS.

Target (issue 3): a scan of 1,000 files uses both cores (``--jobs 2``) and reports files/s. The
baseline is the same scan with ``--jobs 1``, measured in the same run on its own fresh store.

Set-up (not timed): 1,000 synthetic songs (``--quick``: 40) of 10–30 s, each a drum loop and a
sustained triad at its own tempo (70–170 BPM) and key, written as FLAC, Ogg Vorbis and MP3 in turn
into ``Artist NN/Album NN/NN Title.ext`` folders, by all CPUs at once.

Measured: ``python -m tastemaker scan LIB --jobs N --json`` as a subprocess. Every 0.2 s the
benchmark reads /proc for the scan process and all its descendants (fork server, workers): CPU
seconds (cores used = CPU seconds / wall seconds) and RSS (peak of the tree's total, and the largest
single process). Then a re-scan of the unchanged library, which must skip every file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks._harness import (
    CpuWindow,
    Row,
    log,
    print_table,
    proc_cpu_s,
    proc_status_kib,
    process_tree,
    ratio,
    save_results,
    server_env,
    settle,
    temp_dir,
    verdict,
)

FILES, QUICK_FILES = 1_000, 40
RATE = 22050
FORMATS = (".flac", ".ogg", ".mp3")
TARGET_CORES = 1.7  # "uses both cores": two workers busy, less the parent's waits for the store
MAX_SCAN_S = 3600.0
SAMPLE_S = 0.2


def song(seconds: float, *, bpm: float, tonic: int, minor: bool, seed: int) -> npt.NDArray[np.float32]:
    """A kick on every beat, a hi-hat between, a triad and a bass note on ``tonic``: mono, at RATE."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    beat = 60.0 / bpm
    kick_t = np.arange(int(0.15 * RATE)) / RATE
    kick = np.sin(2 * np.pi * 55 * kick_t) * np.exp(-kick_t / 0.04)
    hat = rng.standard_normal(int(0.05 * RATE)) * np.exp(-np.arange(int(0.05 * RATE)) / (0.01 * RATE)) * 0.3
    for k in range(int(seconds / beat)):
        for start, sound in ((int(k * beat * RATE), kick), (int((k + 0.5) * beat * RATE), hat)):
            if start < n:
                out[start : start + len(sound)] += sound[: n - start]
    for semitone in (0, 3 if minor else 4, 7):
        freq = 261.63 * 2 ** (((tonic + semitone) % 12) / 12)
        out += 0.2 * np.sin(2 * np.pi * freq * t) + 0.06 * np.sin(4 * np.pi * freq * t)
    out += 0.15 * np.sin(2 * np.pi * 65.41 * 2 ** (tonic / 12) * t)
    scaled: npt.NDArray[np.float32] = (0.5 * out / np.max(np.abs(out))).astype(np.float32)
    return scaled


def write(path: Path, signal: npt.NDArray[np.float32]) -> None:
    """FLAC and Ogg through soundfile, MP3 through PyAV (the libraries the decoder reads them with)."""
    if path.suffix in (".flac", ".ogg"):
        import soundfile

        soundfile.write(path, signal, RATE, subtype="VORBIS" if path.suffix == ".ogg" else None)
        return
    import av

    with av.open(str(path), mode="w") as container:
        stream: Any = container.add_stream("libmp3lame", rate=RATE, layout="mono")
        for start in range(0, len(signal), 1152):
            chunk = np.ascontiguousarray(signal[start : start + 1152].reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def make_one(root: Path, i: int) -> float:
    rng = np.random.default_rng(i)
    seconds = float(rng.uniform(10, 30))
    path = root / f"Artist {i // 50:02d}" / f"Album {i // 10:03d}" / f"{i % 10:02d} Song {i}{FORMATS[i % 3]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    signal = song(seconds, bpm=float(rng.uniform(70, 170)), tonic=int(rng.integers(12)),
                  minor=bool(rng.integers(2)), seed=i)  # fmt: skip
    write(path, signal)
    return seconds


def make_library(root: Path, count: int) -> float:
    """Write ``count`` songs with every CPU; returns the seconds of audio written."""
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        return sum(pool.map(make_one, [root] * count, range(count), chunksize=8))


@dataclass
class TreeUsage:
    """CPU and memory of a process and its descendants, from /proc samples."""

    cpu_s: dict[int, float] = field(default_factory=dict)
    peak_total_rss_kib: int = 0
    peak_process_hwm_kib: int = 0

    def sample(self, pid: int) -> None:
        total = 0
        for member in process_tree(pid):
            cpu = proc_cpu_s(member)
            if cpu == cpu:  # not NaN: the process still exists
                self.cpu_s[member] = max(cpu, self.cpu_s.get(member, 0.0))
            status = proc_status_kib(member)
            total += status.get("VmRSS", 0)
            self.peak_process_hwm_kib = max(self.peak_process_hwm_kib, status.get("VmHWM", 0))
        self.peak_total_rss_kib = max(self.peak_total_rss_kib, total)


@dataclass
class ScanRun:
    jobs: int
    report: dict[str, Any]
    wall_s: float
    usage: TreeUsage
    machine_cores: float
    """Cores busy on the whole machine meanwhile (ours included): the rest is other people's load."""

    @property
    def cores(self) -> float:
        return sum(self.usage.cpu_s.values()) / self.wall_s

    @property
    def other_cores(self) -> float:
        return max(0.0, self.machine_cores - self.cores)


def run_scan(library: Path, data_dir: Path, *, jobs: int, env: dict[str, str]) -> ScanRun:
    command = [sys.executable, "-m", "tastemaker", "--data-dir", str(data_dir), "scan", str(library),
               "--jobs", str(jobs), "--json", "--no-progress"]  # fmt: skip
    usage = TreeUsage()
    started = time.monotonic()
    with CpuWindow() as window, subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as proc:
        while proc.poll() is None and time.monotonic() - started < MAX_SCAN_S:
            usage.sample(proc.pid)
            time.sleep(SAMPLE_S)
        if proc.poll() is None:
            proc.kill()
        out, _ = proc.communicate()
    wall_s = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"scan --jobs {jobs} exited {proc.returncode}")
    machine = window.own_cores + window.other_cores
    return ScanRun(jobs=jobs, report=json.loads(out), wall_s=wall_s, usage=usage, machine_cores=machine)


def describe(run: ScanRun) -> str:
    r = run.report
    return (f"--jobs {run.jobs}: {r['analysed']} analysed, {r['failed']} failed in {run.wall_s:.1f} s; "
            f"{run.cores:.2f} cores (others {run.other_cores:.2f}); "
            f"peak RSS {run.usage.peak_total_rss_kib / 1024:.0f} MiB")  # fmt: skip


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks audio_scan", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help=f"short smoke version ({QUICK_FILES} files)")
    parser.add_argument(
        "--files", type=int, help=f"how many files (default {FILES}, {QUICK_FILES} with --quick)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    count = args.files or (QUICK_FILES if args.quick else FILES)
    with temp_dir("audio-scan", keep=args.keep) as work:
        library = work / "library"
        started = time.monotonic()
        audio_s = make_library(library, count)
        log(f"wrote {count:,} files, {audio_s / 60:.0f} min of audio, in {time.monotonic() - started:.0f} s")
        env = server_env(work)
        runs: dict[int, ScanRun] = {}
        for jobs in (1, 2):
            settle()
            runs[jobs] = run_scan(library, work / f"data-jobs{jobs}", jobs=jobs, env=env)
            log(describe(runs[jobs]))
        rescan = run_scan(library, work / "data-jobs2", jobs=2, env=env)
        log(f"re-scan: {rescan.report['unchanged']} unchanged, {rescan.wall_s:.1f} s")
    base, two = runs[1], runs[2]
    complete = all(r.report["analysed"] == count and r.report["failed"] == 0 for r in runs.values())
    met = complete and two.cores >= TARGET_CORES and rescan.report["unchanged"] == count

    def rate(run: ScanRun) -> float:
        return count / run.wall_s

    rows = [
        Row("files/s (files / wall s)", "report", f"{rate(two):.2f}", f"{rate(base):.2f}",
            ratio(rate(two), rate(base))),
        Row("audio s per wall s", "report", f"{audio_s / two.wall_s:.0f}", f"{audio_s / base.wall_s:.0f}",
            ratio(base.wall_s, two.wall_s)),
        Row("CPU cores used (scan + workers)", f">= {TARGET_CORES}", f"{two.cores:.2f}", f"{base.cores:.2f}",
            ratio(two.cores, base.cores)),
        Row("  other load on the machine meanwhile (cores)", "", f"{two.other_cores:.2f}",
            f"{base.other_cores:.2f}"),
        Row("peak RSS, all processes (MiB)", "report", f"{two.usage.peak_total_rss_kib / 1024:.0f}",
            f"{base.usage.peak_total_rss_kib / 1024:.0f}"),
        Row("peak RSS, largest process (MiB)", "report", f"{two.usage.peak_process_hwm_kib / 1024:.0f}",
            f"{base.usage.peak_process_hwm_kib / 1024:.0f}"),
        Row("analysed / failed", f"{count} / 0", f"{two.report['analysed']} / {two.report['failed']}",
            f"{base.report['analysed']} / {base.report['failed']}"),
        Row("re-scan, nothing changed: skipped / s", f"{count} / report",
            f"{rescan.report['unchanged']} / {rescan.wall_s:.1f}"),
    ]  # fmt: skip
    print_table(
        f"tastemaker scan of {count:,} files ({audio_s / 60:.0f} min of audio): --jobs 2 vs --jobs 1", rows
    )
    print(f"scan uses both cores: {verdict(met, quick=args.quick)}")
    results = {
        "quick": args.quick, "files": count, "audio_s": audio_s, "met": met,
        "runs": {jobs: {"wall_s": run.wall_s, "cores": run.cores, "other_cores": run.other_cores,
                        "report": run.report,
                        "peak_total_rss_kib": run.usage.peak_total_rss_kib,
                        "peak_process_hwm_kib": run.usage.peak_process_hwm_kib}
                 for jobs, run in runs.items()},
        "rescan": {"wall_s": rescan.wall_s, "report": rescan.report},
    }  # fmt: skip
    print(f"results: {save_results('audio_scan' + ('-quick' if args.quick else ''), results)}")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
