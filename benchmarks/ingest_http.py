"""Ingestion through ``POST /v1/events``: batches of 500 for throughput, single events for latency.

Target (issue): at least 100,000 events/s sustained for 60 s, durable, on a 2-core machine.

- Throughput: a fresh ``tastemaker serve`` subprocess (consumers running, as shipped), a closed-loop
  generator in this process with ``--concurrency`` keep-alive connections sending pre-encoded batches
  of 500 unique play events. A short warm-up is excluded; events/s is reported over the whole window
  and per 10 s.
- Baseline (the ceiling): the same batches, validated beforehand, appended straight to a
  ``SQLiteEventLog`` in this process, one ``append`` per batch, same ``synchronous`` setting.
- Latency: another fresh server, single-event requests paced open-loop at 1,000 req/s; each latency
  is measured from the request's scheduled time. Baseline: single-event ``append`` calls in-process
  (one commit each).

Runs with the default ``log_synchronous=FULL``; if that misses the target, again with NORMAL (or
choose one with ``--sync``). Events carry live timestamps by default (``--ts``); ``--no-consumers``
and ``--workers N`` pass through to ``tastemaker serve``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks._harness import (
    TS_MODES,
    BatchRequests,
    CpuWindow,
    Progress,
    Row,
    Server,
    admin_token,
    blast,
    latency_summary,
    log,
    paced,
    print_table,
    proc_cpu_s,
    ratio,
    save_results,
    server_env,
    settle,
    temp_dir,
    verdict,
)
from tastemaker.api.body import decode_events
from tastemaker.events.ingest import validate_items
from tastemaker.events.schema import Event
from tastemaker.events.sqlite_log import SQLiteEventLog

TARGET_EVENTS_S = 100_000
BATCH = 500
USERS = 20_000
TRACKS = 50_000
WARMUP_BATCHES = 10


def _validated(requests: BatchRequests, batches: int) -> list[list[Event]]:
    """The batches as the API would hand them to the log (decoded and validated), built untimed."""
    now = datetime.now(UTC)
    result = []
    for batch_no in range(batches):
        items = decode_events(requests.body(batch_no), "application/json", max_events=BATCH)
        events, errors = validate_items(
            items, now=now, future_tolerance=timedelta(hours=1), user="root", admin=True
        )
        assert not errors, errors[:3]
        result.append(events)
    return result


def direct_append(work: Path, sync: str, requests: BatchRequests, batches: int) -> dict[str, float]:
    """Baseline: one in-process ``append`` per pre-validated batch, and the same with validation timed."""
    prepared = _validated(requests, batches + WARMUP_BATCHES)
    with SQLiteEventLog(work / f"direct-{sync}.db", partitions=8, synchronous=sync) as event_log:
        for events in prepared[:WARMUP_BATCHES]:
            event_log.append(events)
        prepared = prepared[WARMUP_BATCHES:]
        settle()
        with CpuWindow() as cpu:
            t0 = time.perf_counter()
            for events in prepared:
                event_log.append(events)
            append_s = time.perf_counter() - t0
    bodies = [requests.body(batches + WARMUP_BATCHES + b) for b in range(batches)]
    with SQLiteEventLog(work / f"direct-validate-{sync}.db", partitions=8, synchronous=sync) as event_log:
        event_log.append(prepared[0][:1])
        settle()
        t0 = time.perf_counter()
        for body in bodies:
            items = decode_events(body, "application/json", max_events=BATCH)
            now = datetime.now(UTC)
            events, _ = validate_items(
                items, now=now, future_tolerance=timedelta(hours=1), user="root", admin=True
            )
            event_log.append(events)
        validate_append_s = time.perf_counter() - t0
    count = batches * BATCH
    return {
        "append_events_s": count / append_s,
        "validate_append_events_s": count / validate_append_s,
        "other_cores": cpu.other_cores,
    }


def direct_single_latency(work: Path, sync: str, count: int, ts: str) -> dict[str, float]:
    """Baseline for latency: ``count`` single-event appends, one after another (one commit each)."""
    requests = BatchRequests(
        port=0, token="-", run="single-direct", batch_size=1, users=USERS, tracks=TRACKS, ts=ts
    )
    prepared = _validated(requests, count)
    latencies = []
    settle()
    with SQLiteEventLog(work / f"single-{sync}.db", partitions=8, synchronous=sync) as event_log:
        for events in prepared:
            t0 = time.perf_counter()
            event_log.append(events)
            latencies.append((time.perf_counter() - t0) * 1000)
    return latency_summary(latencies)


def http_throughput(
    work: Path,
    sync: str,
    *,
    duration_s: float,
    warmup_s: float,
    concurrency: int,
    consumers: bool,
    ts: str,
    workers: int,
    serve_args: Sequence[str] = (),
) -> dict[str, Any]:
    data_dir = work / f"throughput-{sync}{'' if consumers else '-api-only'}"
    env = server_env(work, log_synchronous=sync)
    token = admin_token(data_dir, env)
    settle()
    with Server(data_dir, env, consumers=consumers, workers=workers, serve_args=serve_args) as server:
        requests = BatchRequests(
            port=server.port,
            token=token,
            run=f"tp-{sync}",
            batch_size=BATCH,
            users=USERS,
            tracks=TRACKS,
            ts=ts,
        )
        total_s = warmup_s + duration_s
        feed = deque(range(int(total_s * 4 * TARGET_EVENTS_S / BATCH)))  # room for 4x the target rate
        progress = Progress()
        time.sleep(1.0 if workers > 1 else 0.0)  # let the worker processes come up
        pids = server.pids()
        cpu0, t0 = sum(proc_cpu_s(pid) for pid in pids), time.monotonic()
        with CpuWindow(*pids) as window:
            result = blast(
                requests,
                feed,
                port=server.port,
                concurrency=concurrency,
                duration_s=total_s,
                progress=progress,
            )
        server_cpu = sum(proc_cpu_s(pid) for pid in pids) - cpu0
        lags = server.lags() if consumers else {}
        failures = server.consumer_failures()
    start = t0 + warmup_s
    window_s = 10.0 if duration_s >= 30 else 2.0
    windows = []
    for k in range(int(duration_s // window_s)):
        a = start + k * window_s
        windows.append(result.accepted_between(a, a + window_s) / window_s)
    measured = result.accepted_between(start, start + duration_s)
    return {
        "events_s": measured / duration_s,
        "window_s": window_s,
        "windows_events_s": windows,
        "events_acked_total": progress.acked,
        "errors": dict(result.errors),
        "server_cpu_cores": server_cpu / result.wall_s,
        "client_cpu_cores": result.client_cpu_s / result.wall_s,
        "consumer_lag_at_end": lags,
        "consumer_failures": failures,
        "other_cores": window.other_cores,
    }


def http_latency(
    work: Path,
    sync: str,
    *,
    rate: float,
    duration_s: float,
    consumers: bool,
    ts: str,
    workers: int,
    serve_args: Sequence[str] = (),
) -> dict[str, Any]:
    data_dir = work / f"latency-{sync}{'' if consumers else '-api-only'}"
    env = server_env(work, log_synchronous=sync)
    token = admin_token(data_dir, env)
    settle()
    with Server(data_dir, env, consumers=consumers, workers=workers, serve_args=serve_args) as server:
        requests = BatchRequests(
            port=server.port, token=token, run=f"lat-{sync}", batch_size=1, users=USERS, tracks=TRACKS, ts=ts
        )
        time.sleep(1.0 if workers > 1 else 0.0)
        with CpuWindow(*server.pids()) as window:
            result = paced(requests, port=server.port, rate=rate, count=int(rate * duration_s))
        failures = server.consumer_failures()
    achieved = len(result.latencies_ms) / result.wall_s
    return {**latency_summary(result.latencies_ms), "errors": dict(result.errors),
            "achieved_req_s": achieved, "other_cores": window.other_cores,
            "consumer_failures": failures}  # fmt: skip


def run_mode(work: Path, sync: str, args: argparse.Namespace) -> tuple[list[Row], dict[str, Any]]:
    log(f"[{sync}] baseline: direct append of {args.baseline_batches} batches of {BATCH}")
    base_requests = BatchRequests(
        port=0, token="-", run=f"direct-{sync}", batch_size=BATCH, users=USERS, tracks=TRACKS, ts=args.ts
    )
    base = direct_append(work, sync, base_requests, args.baseline_batches)
    log(f"[{sync}] baseline: {base['append_events_s']:,.0f} events/s")
    log(f"[{sync}] HTTP: {args.duration:.0f} s + {args.warmup:.0f} s warm-up, {args.concurrency} in flight")
    tp = http_throughput(
        work, sync, duration_s=args.duration, warmup_s=args.warmup, concurrency=args.concurrency,
        consumers=not args.no_consumers, ts=args.ts, workers=args.workers, serve_args=_serve_args(args),
    )  # fmt: skip
    windows = ", ".join(f"{w / 1000:.1f}k" for w in tp["windows_events_s"])
    log(f"[{sync}] HTTP throughput: {tp['events_s']:,.0f} events/s; per {tp['window_s']:.0f} s: {windows}")
    log(f"[{sync}] latency: direct single-event appends ({args.baseline_singles})")
    base_lat = direct_single_latency(work, sync, args.baseline_singles, args.ts)
    log(f"[{sync}] HTTP latency: {args.rate:.0f} req/s for {args.latency_duration:.0f} s")
    lat = http_latency(
        work,
        sync,
        rate=args.rate,
        duration_s=args.latency_duration,
        consumers=not args.no_consumers,
        ts=args.ts,
        workers=args.workers,
        serve_args=_serve_args(args),
    )
    consumers = "API only (--no-consumers)" if args.no_consumers else "consumers running"
    if args.consumer_process and not args.no_consumers:
        consumers += " in a child process (--consumer-process)"
    workers = f", serve --workers {args.workers}" if args.workers > 1 else ""
    label = f"synchronous={sync}, {consumers}{workers}, ts {args.ts}"
    rows = [
        Row(f"HTTP ingest, batches of {BATCH}, events/s over {args.duration:.0f} s",
            f">= {TARGET_EVENTS_S:,}", f"{tp['events_s']:,.0f}",
            f"{base['append_events_s']:,.0f} (direct append)",
            ratio(tp["events_s"], base["append_events_s"])),
        Row(f"  per {tp['window_s']:.0f} s window", "", windows),
        Row("  reference: in-process decode+validate+append (no HTTP)", "",
            f"{base['validate_append_events_s']:,.0f}", f"{base['append_events_s']:,.0f} (direct append)",
            ratio(base["validate_append_events_s"], base["append_events_s"])),
        Row("  server CPU (cores) / generator CPU (cores)", "",
            f"{tp['server_cpu_cores']:.2f} / {tp['client_cpu_cores']:.2f}"),
        Row(f"single-event POST p50 at {args.rate:.0f} req/s (ms)", "", f"{lat['p50']:.2f}",
            f"{base_lat['p50']:.2f} (direct append)", ratio(lat["p50"], base_lat["p50"])),
        Row(f"single-event POST p99 at {args.rate:.0f} req/s (ms)", "", f"{lat['p99']:.2f}",
            f"{base_lat['p99']:.2f} (direct append)", ratio(lat["p99"], base_lat["p99"])),
        Row("  max (ms) / achieved req/s / errors", "",
            f"{lat['max']:.1f} / {lat['achieved_req_s']:.0f} / {sum(lat['errors'].values())}"),
        Row("  CPU used by other processes on the machine (cores)", "",
            f"{tp['other_cores']:.2f} (throughput), {lat['other_cores']:.2f} (latency)",
            f"{base['other_cores']:.2f}"),
    ]  # fmt: skip
    print_table(f"ingest_http ({label})", rows)
    if tp["errors"] or lat["errors"]:
        print(f"errors: throughput {tp['errors']}, latency {lat['errors']}")
    print(f"consumer lag when the throughput run ended: {tp['consumer_lag_at_end']}")
    print(f"consumer failures logged by the server: {tp['consumer_failures']} (throughput run), "
          f"{lat['consumer_failures']} (latency run)")  # fmt: skip
    return rows, {"baseline": base, "throughput": tp, "baseline_latency_ms": base_lat, "latency_ms": lat}


def _serve_args(args: argparse.Namespace) -> list[str]:
    return ["--consumer-process"] if args.consumer_process else []


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks ingest_http", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="short smoke version")
    parser.add_argument("--sync", choices=["FULL", "NORMAL"], help="only this log_synchronous mode")
    parser.add_argument("--no-consumers", action="store_true", help="serve --no-consumers (API alone)")
    parser.add_argument(
        "--consumer-process",
        action="store_true",
        help="serve --consumer-process (consumers in a child process)",
    )
    parser.add_argument("--concurrency", type=int, default=8, help="in-flight batch requests (default 8)")
    parser.add_argument(
        "--ts",
        choices=TS_MODES,
        default="live",
        help="event times: live (now-ish; default) or spread over a year",
    )
    parser.add_argument("--workers", type=int, default=1, help="serve --workers N (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    args.duration, args.warmup = (6.0, 1.0) if args.quick else (60.0, 3.0)
    args.rate, args.latency_duration = 1000.0, (3.0 if args.quick else 20.0)
    args.baseline_batches, args.baseline_singles = (40, 200) if args.quick else (400, 2000)
    results: dict[str, Any] = {
        "quick": args.quick,
        "concurrency": args.concurrency,
        "no_consumers": args.no_consumers,
    }
    with temp_dir("ingest_http", keep=args.keep) as work:
        modes = [args.sync] if args.sync else ["FULL"]
        for sync in modes:
            _rows, results[sync] = run_mode(work, sync, args)
            if not args.sync and sync == "FULL" and results[sync]["throughput"]["events_s"] < TARGET_EVENTS_S:
                log("FULL misses the target: measuring NORMAL as well")
                modes.append("NORMAL")
    for sync in modes:
        met = results[sync]["throughput"]["events_s"] >= TARGET_EVENTS_S
        print(
            f"target {TARGET_EVENTS_S:,} events/s with synchronous={sync}: {verdict(met, quick=args.quick)}"
        )
    print(f"results: {save_results('ingest_http' + ('-quick' if args.quick else ''), results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
