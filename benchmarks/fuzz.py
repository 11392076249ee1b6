"""Coverage-guided fuzzing (atheris, libFuzzer) of the event decoder, the importers and the audio decoder.

``python -m benchmarks fuzz [--seconds 60] [--target NAME]... [--save]``: each harness in tests/fuzz/ runs
for a bounded time from a copy of its seed corpus (tests/fuzz/corpus/<target>/); the table gives
executions, executions/s, coverage (libFuzzer's edge count), corpus growth and crashes. libFuzzer stops
at a crash: the run restarts for the time that is left (at most ``MAX_CRASHES`` per target). ``--save``
copies each crash input to tests/fuzz/crashes/<target>/, where tests/fuzz/test_corpus.py replays it: a
crash found becomes a regression test once it is fixed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "tests" / "fuzz"
TARGETS = ("event_decoder", "importers", "audio_decoder")
MAX_CRASHES = 5
_STAT = re.compile(r"stat::(\w+):\s+(\d+)")
_PROGRESS = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)")


@dataclass
class Result:
    target: str
    seconds: float = 0.0
    executions: int = 0
    coverage: int = 0
    features: int = 0
    corpus_start: int = 0
    corpus_end: int = 0
    peak_rss_mb: int = 0
    crashes: list[str] = field(default_factory=list)


def run_target(target: str, seconds: float, work: Path, *, save: bool) -> Result:
    corpus = work / target / "corpus"
    artifacts = work / target / "artifacts"
    shutil.copytree(FUZZ / "corpus" / target, corpus)
    artifacts.mkdir(parents=True)
    result = Result(target, corpus_start=len(list(corpus.iterdir())))
    started = time.monotonic()
    while (left := seconds - (time.monotonic() - started)) > 3 and len(result.crashes) < MAX_CRASHES:
        command = [
            sys.executable, "-m", f"tests.fuzz.fuzz_{target}", f"-max_total_time={int(left)}",
            "-print_final_stats=1", "-timeout=20", "-rss_limit_mb=4096", f"-artifact_prefix={artifacts}/",
            str(corpus),
        ]  # fmt: skip
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=left + 120, check=False
        )
        for name, value in _STAT.findall(done.stderr):
            if name == "number_of_executed_units":
                result.executions += int(value)
            elif name == "peak_rss_mb":
                result.peak_rss_mb = max(result.peak_rss_mb, int(value))
        progress = _PROGRESS.findall(done.stderr)
        if progress:
            result.coverage, result.features = int(progress[-1][1]), int(progress[-1][2])
        found = sorted(p for p in artifacts.iterdir() if p.name not in result.crashes)
        if done.returncode != 0 and not found:
            print(done.stderr[-3000:], file=sys.stderr)
            msg = f"fuzz_{target} exited {done.returncode} without a crash input; its output is above"
            raise RuntimeError(msg)
        for crash in found:
            result.crashes.append(crash.name)
            trace = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("INFO"))[
                -2500:
            ]
            print(f"{target}: crash {crash.name}\n{trace}", file=sys.stderr)
            if save:
                keep = FUZZ / "crashes" / target
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copy(crash, keep / crash.name)
        if done.returncode == 0:
            break
    result.seconds = time.monotonic() - started
    result.corpus_end = len(list(corpus.iterdir()))
    return result


def table(results: Sequence[Result]) -> str:
    lines = [
        "| target | seconds | executions | exec/s | coverage (edges) | features | corpus seeds → end | peak RSS MiB | crashes |",  # noqa: E501
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rate = r.executions / r.seconds if r.seconds else 0.0
        lines.append(
            f"| {r.target} | {r.seconds:.0f} | {r.executions:,} | {rate:,.0f} | {r.coverage:,} "
            f"| {r.features:,} | {r.corpus_start} → {r.corpus_end} | {r.peak_rss_mb} | {len(r.crashes)} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="per target (default 60)")
    parser.add_argument("--target", action="append", choices=TARGETS, help="only these (repeatable)")
    parser.add_argument("--save", action="store_true", help="copy crash inputs to tests/fuzz/crashes/")
    parser.add_argument("--quick", action="store_true", help="10 s per target")
    args = parser.parse_args(argv)
    try:
        import atheris  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        print("atheris is not installed: pip install -e '.[dev]' (or pip install atheris)", file=sys.stderr)
        return 1
    seconds = 10.0 if args.quick else args.seconds
    with tempfile.TemporaryDirectory(prefix="tastemaker-fuzz-") as folder:
        results = [run_target(t, seconds, Path(folder), save=args.save) for t in args.target or TARGETS]
    print(table(results))
    crashed = [f"{r.target}: {', '.join(r.crashes)}" for r in results if r.crashes]
    print("crashes: " + ("; ".join(crashed) if crashed else "none"))
    return 1 if crashed else 0
