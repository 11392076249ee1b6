"""Server memory while ingesting 10 M events through the HTTP API with consumers running.

Target (issue): memory stays flat while ingesting 10 M events; report the peak RSS.

A fresh ``tastemaker serve`` subprocess (default settings, archiver and profiler running in it), fed
by the same closed-loop generator as ``ingest_http`` (batches of 500, 8 in flight). This process
samples the server's VmRSS and VmHWM from /proc every second. Printed: the RSS at every 1 M events
acknowledged, the peak, and the baseline: the idle server's RSS before the first request. "Flat"
here means RSS at the end within 10 % of RSS at 2 M events (at 20 % of the run with ``--quick``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from benchmarks._harness import (
    BatchRequests,
    CpuWindow,
    Progress,
    Row,
    RssSampler,
    Server,
    admin_token,
    blast,
    log,
    print_table,
    proc_status_kib,
    save_results,
    server_env,
    settle,
    temp_dir,
)

BATCH = 500
USERS = 20_000
TRACKS = 50_000
FLAT_TOLERANCE = 0.10
MAX_INGEST_S = 1800.0


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f}"


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks memory", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke version (500k events)")
    parser.add_argument("--concurrency", type=int, default=8, help="in-flight batch requests (default 8)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    events = 500_000 if args.quick else 10_000_000
    step = events // 10
    reference = events // 5  # 2 M of 10 M
    results: dict[str, Any] = {"quick": args.quick, "events": events}
    with temp_dir("memory", keep=args.keep) as work:
        data_dir = work / "data"
        env = server_env(work)
        token = admin_token(data_dir, env)
        settle()
        with Server(data_dir, env) as server:
            time.sleep(1.0)
            idle = proc_status_kib(server.pid)
            requests = BatchRequests(
                port=server.port, token=token, run="mem", batch_size=BATCH, users=USERS, tracks=TRACKS
            )
            feed = deque(range(events // BATCH))
            progress = Progress()
            idle_mib = mib(idle["VmRSS"])
            log(f"ingesting {events:,} events, {args.concurrency} batches in flight; idle {idle_mib} MiB")
            with (
                RssSampler(server.pid, progress, interval_s=1.0, max_s=MAX_INGEST_S + 120) as sampler,
                CpuWindow(server.pid) as window,
            ):
                marks = deque(range(step, events + 1, step))

                def report() -> None:
                    if marks and progress.acked >= marks[0]:
                        rss = proc_status_kib(server.pid).get("VmRSS", 0)
                        log(f"{progress.acked:,} events acknowledged; server RSS {mib(rss)} MiB")
                        marks.popleft()

                result = blast(requests, feed, port=server.port, concurrency=args.concurrency,
                               duration_s=MAX_INGEST_S, progress=progress, watcher=report)  # fmt: skip
            lags = server.lags()
            failures = server.consumer_failures()
    samples = sampler.samples
    curve: list[dict[str, float]] = []
    for mark in range(step, events + 1, step):
        sample = next((s for s in samples if s.acked >= mark), None)
        if sample is not None:
            curve.append(
                {
                    "events": mark,
                    "elapsed_s": sample.elapsed_s,
                    "rss_kib": sample.rss_kib,
                    "hwm_kib": sample.hwm_kib,
                }
            )
    peak = max(s.hwm_kib for s in samples)
    at_ref = next((c["rss_kib"] for c in curve if c["events"] >= reference), float("nan"))
    at_end = curve[-1]["rss_kib"] if curve else float("nan")
    growth = (at_end - at_ref) / at_ref
    flat = abs(growth) <= FLAT_TOLERANCE
    rate = progress.acked / result.wall_s
    results.update(
        idle_kib=idle, curve=curve, peak_hwm_kib=peak, growth_ref_to_end=growth, flat=flat,
        acked=progress.acked, wall_s=result.wall_s, events_s=rate, errors=dict(result.errors),
        lag_at_end=lags, cpu=window.as_dict(), consumer_failures=failures,
    )  # fmt: skip

    print(f"\nRSS of `tastemaker serve` while ingesting (idle, before any request: {idle_mib} MiB)\n")
    print("| events acknowledged | elapsed s | VmRSS MiB | VmHWM (peak so far) MiB |")
    print("|--------------------:|----------:|----------:|------------------------:|")
    for c in curve:
        rss, hwm = mib(c["rss_kib"]), mib(c["hwm_kib"])
        print(f"| {c['events']:>19,.0f} | {c['elapsed_s']:>9.0f} | {rss:>9} | {hwm:>23} |")
    rows = [
        Row(f"RSS at {events / 1e6:g} M vs at {reference / 1e6:g} M events (MiB)",
            f"flat (within {FLAT_TOLERANCE:.0%})", f"{mib(at_end)} vs {mib(at_ref)} ({growth:+.1%})", "",
            f"{at_end / at_ref:.2f}"),
        Row("peak RSS, VmHWM (MiB)", "report", mib(peak), f"{idle_mib} (idle server)",
            f"{peak / idle['VmRSS']:.2f}"),
        Row("events acknowledged / seconds / events/s", "",
            f"{progress.acked:,} / {result.wall_s:.0f} / {rate:,.0f}"),
        Row("consumer lag when ingest ended", "", ", ".join(f"{k} {v:,}" for k, v in lags.items())),
        Row("  so events the consumers had handled meanwhile", "",
            ", ".join(f"{k} {progress.acked - v:,}" for k, v in lags.items())),
        Row("CPU cores: server + generator / other processes", "",
            f"{window.own_cores:.2f} / {window.other_cores:.2f}"),
    ]  # fmt: skip
    print_table(f"memory ({events:,} events through POST /v1/events, consumers running)", rows)
    if result.errors:
        print(f"errors: {dict(result.errors)}")
    print(f"consumer failures logged by the server: {failures}")
    word = "FLAT" if flat else "NOT FLAT"
    note = " (quick smoke run: caches are still filling at this size)" if args.quick else ""
    print(f"memory {word}: RSS {growth:+.1%} from {reference:,} to {events:,} events{note}")
    print(f"results: {save_results('memory' + ('-quick' if args.quick else ''), results)}")
    return 0 if progress.acked == events else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
