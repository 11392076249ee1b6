"""Soak: ``tastemaker serve`` fed at a fraction (default 80 %) of its own measured peak for ``--minutes``.

Target (issue #10): at 80 % of the measured peak for 30 minutes, no error, flat memory, lag bounded.

- Server: a fresh ``tastemaker serve`` subprocess over loopback, consumers running, default settings
  (``log_synchronous=FULL``, the shipped backpressure bound), as in ``ingest_http``.
- Peak, measured at the start of the same run on the same server: ``ingest_http``'s closed-loop
  generator (batches of 500, 8 connections) for ``--peak-seconds``. Two peaks come out of it: the HTTP
  ingest peak (events acknowledged per second) and the end-to-end peak (events the slowest consumer
  also processed per second = acknowledged minus the growth of its lag). The soak runs at
  ``--fraction`` of the end-to-end peak by default, since only a rate the consumers keep up with can
  hold lag bounded for half an hour; ``--of ingest`` uses the HTTP peak instead (lag then grows by
  design until the backpressure bound answers 503, which this benchmark counts as errors).
- Soak: open loop, one batch every ``batch / rate`` seconds whatever the answers (no coordinated
  omission), over 16 keep-alive connections, after the consumers have caught up with the peak run.
  Every ``--sample-every`` seconds: events/s accepted, errors (any non-2xx or transport failure), the
  server's RSS (all its processes, from /proc), the slowest consumer's lag and the log's size on disk.
- Verdict: no errors; offered rate achieved within 5 %; memory flat (mean RSS of the last third at most
  ``MEMORY_GROWTH_BOUND`` above the first third's); lag bounded (the last third's highest lag at most
  1.5x the first third's, or under ``LAG_FLOOR_S`` seconds of the offered rate).

Every loop here is bounded by a count and a deadline; ``--minutes`` is capped at ``MAX_MINUTES``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks._harness import (
    REQUEST_TIMEOUT_S,
    BatchRequests,
    CpuWindow,
    HttpConnection,
    Progress,
    Server,
    admin_token,
    blast,
    log,
    print_grid,
    proc_status_kib,
    save_results,
    server_env,
    settle,
    temp_dir,
)

BATCH = 500
USERS = 20_000
TRACKS = 50_000
CONNECTIONS = 16
MAX_MINUTES = 120.0
MEMORY_GROWTH_BOUND = 0.10
LAG_GROWTH_BOUND = 1.5
LAG_FLOOR_S = 10.0
CATCH_UP_TIMEOUT_S = 300.0
_TRANSPORT_ERRORS = (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError)


@dataclass(frozen=True)
class Sample:
    elapsed_s: float
    events_s: float
    errors: int
    rss_mib: float
    lag: int
    log_mib: float


def server_rss_mib(server: Server) -> float:
    return sum(proc_status_kib(pid).get("VmRSS", 0) for pid in server.pids()) / 1024


def log_mib(data_dir: Path) -> float:
    files = [data_dir / "events.db", data_dir / "events.db-wal", data_dir / "events.db-shm"]
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20


def max_lag(server: Server) -> int:
    return max(server.lags().values(), default=0)


def measure_peak(server: Server, token: str, seconds: float) -> dict[str, float]:
    """Closed-loop blast as ``ingest_http`` does; the ingest peak and the end-to-end peak it implies."""
    requests = BatchRequests(port=server.port, token=token, run="peak", batch_size=BATCH, users=USERS,
                             tracks=TRACKS)  # fmt: skip
    feed = deque(range(int(seconds * 400_000 / BATCH)))  # room for 400k events/s
    lag0 = max_lag(server)
    result = blast(requests, feed, port=server.port, concurrency=8, duration_s=seconds)
    lag1 = max_lag(server)
    accepted = sum(n for _, n in result.acks)
    consumed = max(0, accepted - max(0, lag1 - lag0))
    return {
        "ingest_events_s": accepted / result.wall_s,
        "end_to_end_events_s": consumed / result.wall_s,
        "lag_after_peak": float(lag1),
        "errors": float(sum(result.errors.values())),
    }


class Sampler:
    """Every ``every_s`` in a thread: the rates and gauges of one ``Sample``; bounded by ``max_s``."""

    def __init__(
        self, server: Server, progress: Progress, errors: Counter[str], every_s: float, max_s: float
    ):
        self.server = server
        self.progress = progress
        self.errors = errors
        self.every_s = every_s
        self.max_s = max_s
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-sampler", daemon=True)

    def _run(self) -> None:
        t0 = time.monotonic()
        last_t, last_acked = t0, self.progress.acked
        for _ in range(int(self.max_s / self.every_s) + 2):
            if self._stop.wait(self.every_s):
                return
            now, acked = time.monotonic(), self.progress.acked
            try:
                lag = max_lag(self.server)
            except (OSError, ValueError) as exc:
                self.errors[f"healthz: {type(exc).__name__}"] += 1
                lag = -1
            sample = Sample(
                elapsed_s=now - t0,
                events_s=(acked - last_acked) / (now - last_t),
                errors=sum(self.errors.values()),
                rss_mib=server_rss_mib(self.server),
                lag=lag,
                log_mib=log_mib(self.server.data_dir),
            )
            self.samples.append(sample)
            log(
                f"t={sample.elapsed_s:5.0f} s  {sample.events_s:9,.0f} events/s  errors {sample.errors}  "
                f"RSS {sample.rss_mib:6.0f} MiB  lag {sample.lag:,}  log {sample.log_mib:,.0f} MiB"
            )
            last_t, last_acked = now, acked

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)


def paced_batches(
    requests: BatchRequests, *, port: int, rate_events_s: float, duration_s: float, progress: Progress,
    errors: Counter[str],
) -> float:  # fmt: skip
    """Open loop: batch ``k`` is due at ``t0 + k * BATCH / rate``; returns the wall time it took."""
    count = int(rate_events_s * duration_s / BATCH)
    interval = BATCH / rate_events_s

    async def main() -> None:
        queue: asyncio.Queue[int | None] = asyncio.Queue()

        async def worker() -> None:
            conn: HttpConnection | None = None
            for _ in range(count + 1):
                batch_no = await queue.get()
                if batch_no is None:
                    break
                try:
                    conn = conn or await HttpConnection.open(port)
                    status, body = await asyncio.wait_for(
                        conn.exchange(requests.request(batch_no)), REQUEST_TIMEOUT_S
                    )
                except _TRANSPORT_ERRORS as exc:
                    errors[f"transport: {type(exc).__name__}"] += 1
                    if conn is not None:
                        await conn.close()
                    conn = None
                    continue
                if 200 <= status < 300:
                    progress.acked += BATCH
                else:
                    errors[f"HTTP {status}: {body[:120]!r}"] += 1
            if conn is not None:
                await conn.close()

        workers = [asyncio.create_task(worker()) for _ in range(CONNECTIONS)]
        t0 = time.monotonic() + 0.05
        for k in range(count):
            delay = t0 + k * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait(k)
        for _ in workers:
            queue.put_nowait(None)
        _done, pending = await asyncio.wait(workers, timeout=2 * REQUEST_TIMEOUT_S)
        for task in pending:
            task.cancel()
            errors["worker cancelled at its deadline"] += 1
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*pending, return_exceptions=True)

    started = time.monotonic()
    asyncio.run(main())
    return time.monotonic() - started


def third_means(samples: Sequence[Sample]) -> tuple[list[Sample], list[Sample]]:
    third = max(1, len(samples) // 3)
    return list(samples[:third]), list(samples[-third:])


def judge(samples: Sequence[Sample], rate: float, achieved: float, errors: int) -> dict[str, Any]:
    first, last = third_means(samples)
    rss_first = sum(s.rss_mib for s in first) / len(first)
    rss_last = sum(s.rss_mib for s in last) / len(last)
    lag_first = max(s.lag for s in first)
    lag_last = max(s.lag for s in last)
    lag_allowed = max(LAG_GROWTH_BOUND * lag_first, LAG_FLOOR_S * rate)
    return {
        "no_errors": errors == 0,
        "rate_achieved": achieved >= 0.95 * rate,
        "rss_first_third_mib": rss_first,
        "rss_last_third_mib": rss_last,
        "memory_growth": rss_last / rss_first - 1,
        "memory_flat": rss_last <= (1 + MEMORY_GROWTH_BOUND) * rss_first,
        "lag_first_third_max": lag_first,
        "lag_last_third_max": lag_last,
        "lag_allowed": lag_allowed,
        "lag_bounded": lag_last <= lag_allowed,
    }


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks soak", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 minute smoke version")
    parser.add_argument("--minutes", type=float, default=30.0, help="soak length (default 30)")
    parser.add_argument("--fraction", type=float, default=0.8, help="of the peak (default 0.8)")
    parser.add_argument("--of", choices=["end-to-end", "ingest"], default="end-to-end",
                        help="which peak the fraction applies to (default end-to-end)")  # fmt: skip
    parser.add_argument("--peak-seconds", type=float, default=30.0, help="peak measurement (default 30)")
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--sync", choices=["FULL", "NORMAL"], default="FULL", help="log_synchronous")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.minutes, args.peak_seconds, args.sample_every = 1.0, 10.0, 5.0
    minutes = min(MAX_MINUTES, max(0.1, args.minutes))
    with temp_dir("soak", keep=args.keep) as work:
        data_dir = work / "server"
        env = server_env(work, log_synchronous=args.sync)
        token = admin_token(data_dir, env)
        settle()
        with Server(data_dir, env) as server:
            log(f"peak: closed loop for {args.peak_seconds:.0f} s")
            peak = measure_peak(server, token, args.peak_seconds)
            log(
                f"peak: HTTP ingest {peak['ingest_events_s']:,.0f} events/s, end to end "
                f"{peak['end_to_end_events_s']:,.0f} events/s; lag {peak['lag_after_peak']:,.0f}"
            )
            caught_up_at = time.monotonic()
            caught_up = server.wait_caught_up(timeout_s=CATCH_UP_TIMEOUT_S)
            catch_up_s = time.monotonic() - caught_up_at
            base = peak["end_to_end_events_s"] if args.of == "end-to-end" else peak["ingest_events_s"]
            rate = args.fraction * base
            log(f"soak: {rate:,.0f} events/s ({args.fraction:.0%} of the {args.of} peak) for {minutes:g} min")
            requests = BatchRequests(port=server.port, token=token, run="soak", batch_size=BATCH,
                                     users=USERS, tracks=TRACKS)  # fmt: skip
            progress, errors = Progress(), Counter[str]()
            rss_start = server_rss_mib(server)
            duration = minutes * 60
            with (
                CpuWindow(*server.pids()) as cpu,
                Sampler(
                    server, progress, errors, args.sample_every, duration + 2 * REQUEST_TIMEOUT_S
                ) as sampler,
            ):
                wall = paced_batches(requests, port=server.port, rate_events_s=rate, duration_s=duration,
                                     progress=progress, errors=errors)  # fmt: skip
            lag_end = max_lag(server)
            drained_at = time.monotonic()
            drained = server.wait_caught_up(timeout_s=CATCH_UP_TIMEOUT_S)
            drain_s = time.monotonic() - drained_at
            failures = server.consumer_failures()
    samples = sampler.samples
    achieved = progress.acked / wall
    error_count = sum(errors.values())
    verdict = judge(samples, rate, achieved, error_count) if samples else {}
    print_grid(
        f"soak: {rate:,.0f} events/s offered ({args.fraction:.0%} of the {args.of} peak), {minutes:g} min, "
        f"synchronous={args.sync}",
        ["t (s)", "accepted events/s", "errors (total)", "server RSS (MiB)", "lag (slowest consumer)",
         "log on disk (MiB)"],
        [[f"{s.elapsed_s:.0f}", f"{s.events_s:,.0f}", str(s.errors), f"{s.rss_mib:.0f}", f"{s.lag:,}",
          f"{s.log_mib:,.0f}"] for s in samples],
    )  # fmt: skip
    summary = [
        ["peak: HTTP ingest / end to end (events/s)",
         f"{peak['ingest_events_s']:,.0f} / {peak['end_to_end_events_s']:,.0f}"],
        ["consumers caught up after the peak run (s)", f"{catch_up_s:.0f}" + ("" if caught_up else " (NOT)")],
        ["offered / achieved (events/s)", f"{rate:,.0f} / {achieved:,.0f}"],
        ["events accepted / errors", f"{progress.acked:,} / {error_count}"],
        ["RSS at start / first third / last third (MiB)",
         f"{rss_start:.0f} / {verdict.get('rss_first_third_mib', 0):.0f} / "
         f"{verdict.get('rss_last_third_mib', 0):.0f} ({verdict.get('memory_growth', 0):+.1%})"],
        ["lag max: first third / last third / allowed",
         f"{verdict.get('lag_first_third_max', 0):,} / {verdict.get('lag_last_third_max', 0):,} / "
         f"{verdict.get('lag_allowed', 0):,.0f}"],
        ["lag when the load stopped / drained after (s)",
         f"{lag_end:,} / {drain_s:.0f}" + ("" if drained else " (NOT drained)")],
        ["consumer failures logged", str(failures)],
        ["CPU cores: server + generator / other processes", f"{cpu.own_cores:.2f} / {cpu.other_cores:.2f}"],
    ]  # fmt: skip
    print_grid("soak summary", ["metric", "value"], summary)
    if errors:
        print(f"errors: {dict(errors.most_common(5))}")
    checks = ["no_errors", "rate_achieved", "memory_flat", "lag_bounded"]
    met = bool(verdict) and all(verdict[c] for c in checks)
    words = ", ".join(f"{c}={'yes' if verdict.get(c) else 'NO'}" for c in checks)
    quick = " (quick smoke run: not evidence for the target)" if args.quick else ""
    print(
        f"verdict: {'MET' if met else 'NOT MET'}{quick}: {words}; memory bound "
        f"{MEMORY_GROWTH_BOUND:.0%}, lag bound max({LAG_GROWTH_BOUND}x first third, "
        f"{LAG_FLOOR_S:.0f} s of load)"
    )
    results = {"args": vars(args), "peak": peak, "rate": rate, "achieved": achieved, "errors": dict(errors),
               "samples": [asdict(s) for s in samples], "verdict": verdict, "cpu": cpu.as_dict(),
               "catch_up_s": catch_up_s, "lag_end": lag_end, "drain_s": drain_s}  # fmt: skip
    print(f"results: {save_results('soak' + ('-quick' if args.quick else ''), results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
