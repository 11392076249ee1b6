"""Serving speed of the recommenders through the HTTP API, and ``tastemaker weekly`` throughput.

Targets (issue 4, on a simulated world of 100k users × 1M tracks): p99 under concurrent load of
seeded recommendations ≤ 50 ms, precomputed playlists (Discover Weekly) ≤ 5 ms, DJ next ≤ 30 ms, and
``tastemaker weekly`` for 100k users in ≤ 10 minutes on 2 cores.

The default world is scaled down (10k users × 100k tracks × 7 days) so that a run fits a shared
2-core machine in minutes; ``--users/--tracks/--days`` go bigger, and the output names the size used.
Steps: simulate into the event log and drain the consumers (catalog, profiles) in this process;
``tastemaker train``; ``tastemaker weekly`` for ``--weekly-users`` sampled listeners (users/s, and the
time 100k users would take at that rate); ``tastemaker serve --no-consumers`` as a subprocess; then,
per endpoint, ``--requests`` requests from ``--concurrency`` keep-alive connections in a closed loop,
each request's latency measured from send to full response. The load generator shares the two cores
with the server, so the numbers are pessimistic for a server with its own machine. The first
seeded request (which builds the per-model catalog index) is timed separately and not in the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from benchmarks._harness import (
    HOST,
    REQUEST_TIMEOUT_S,
    CpuWindow,
    HttpConnection,
    Row,
    Server,
    admin_token,
    bench_config,
    latency_summary,
    log,
    machine,
    print_table,
    save_results,
    server_env,
    tastemaker_command,
    temp_dir,
    verdict,
)
from tastemaker.platform import Platform
from tastemaker.simulate import run_simulation
from tastemaker.simulate.log_sink import LogSink

ISSUE_SIZE = (100_000, 1_000_000)
WEEKLY_TARGET_S = 600.0
TARGET_P99_MS = {"recommendations with seeds": 50.0, "discover weekly (precomputed)": 5.0, "dj next": 30.0}


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    wall_s: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)


def get_request(port: int, token: str, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Token {token}\r\n\r\n".encode()


def post_request(port: int, token: str, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Token {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def load(port: int, requests: Sequence[bytes], *, concurrency: int, pids: Sequence[int]) -> LoadResult:
    """Closed loop: ``concurrency`` connections each send the next request as soon as the last is
    answered, until every request has been sent once; a non-2xx answer counts as an error."""
    result = LoadResult()
    queue = list(reversed(requests))

    async def worker() -> None:
        conn = await HttpConnection.open(port)
        try:
            while queue:
                request = queue.pop()
                start = time.perf_counter()
                try:
                    status, body = await asyncio.wait_for(conn.exchange(request), REQUEST_TIMEOUT_S)
                except (OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
                    result.errors[f"transport: {type(exc).__name__}"] += 1
                    await conn.close()
                    conn = await HttpConnection.open(port)
                    continue
                if 200 <= status < 300:
                    result.latencies_ms.append((time.perf_counter() - start) * 1000)
                else:
                    result.errors[f"HTTP {status}: {body[:160]!r}"] += 1
        finally:
            await conn.close()

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(concurrency)))

    with CpuWindow(*pids) as window:
        asyncio.run(main())
    result.wall_s, result.cpu = window.wall_s, window.as_dict()
    return result


def build_world(data_dir: Path, *, seed: int, users: int, tracks: int, days: int) -> dict[str, float]:
    timings = {}
    with Platform.open(bench_config(data_dir, log_synchronous="NORMAL")) as platform:
        started = time.monotonic()
        events = run_simulation(
            seed=seed, users=users, tracks=tracks, days=days, start=date(2025, 3, 1),
            sink=LogSink(platform.event_log), progress=False,
        )  # fmt: skip
        timings["simulate_s"] = time.monotonic() - started
        log(f"simulated {events:,} events in {timings['simulate_s']:.0f} s; draining the consumers")
        started = time.monotonic()
        platform.drain()
        timings["drain_s"] = time.monotonic() - started
        timings["events"] = events
    return timings


def run_cli(data_dir: Path, env: dict[str, str], *args: str, timeout_s: float = 3600) -> tuple[str, float]:
    started = time.monotonic()
    done = subprocess.run(
        tastemaker_command(data_dir, *args), capture_output=True, text=True, env=env, timeout=timeout_s
    )
    if done.returncode != 0:
        raise RuntimeError(f"tastemaker {' '.join(args[:1])} failed:\n{done.stderr[-2000:]}")
    return done.stdout, time.monotonic() - started


def model_ids(data_dir: Path) -> tuple[list[str], list[str]]:
    models = data_dir / "models"
    version = int((models / "CURRENT").read_text().strip())
    ids = json.loads((models / f"v{version:06d}" / "ids.json").read_text())
    return ids["users"], ids["items"]


def seeded_paths(
    data_dir: Path, users: list[str], items: list[str], count: int, rng: random.Random
) -> list[str]:
    """Per request a random listener, 2 random seed tracks and the artist of a third."""
    with Platform.open(bench_config(data_dir)) as platform:
        picked = [rng.sample(items, 3) for _ in range(count)]
        tracks = platform.store.get_tracks({t for three in picked for t in three})
    paths = []
    for three in picked:
        artist = tracks[three[2]].artist_id if three[2] in tracks else None
        query = f"seed_tracks={quote(three[0])},{quote(three[1])}&limit=20"
        if artist:
            query += f"&seed_artists={quote(artist)}"
        paths.append(f"/v1/users/{quote(rng.choice(users))}/recommendations?{query}")
    return paths


def measure(
    name: str, port: int, requests: list[bytes], *, concurrency: int, pids: list[int]
) -> dict[str, Any]:
    log(f"{name}: {len(requests):,} requests from {concurrency} connections")
    load(port, requests[: 5 * concurrency], concurrency=concurrency, pids=pids)  # warm-up, not counted
    result = load(port, requests, concurrency=concurrency, pids=pids)
    summary = latency_summary(result.latencies_ms)
    rate = len(result.latencies_ms) / max(result.wall_s, 1e-9)
    log(f"{name}: p50 {summary['p50']:.1f} ms, p99 {summary['p99']:.1f} ms, {rate:.0f} req/s")
    return {"latency_ms": summary, "requests_per_s": rate, "errors": dict(result.errors), **result.cpu}


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks recommend_speed", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--users", type=int, default=10_000, help="simulated listeners (issue: 100k)")
    parser.add_argument("--tracks", type=int, default=100_000, help="simulated catalogue (issue: 1M)")
    parser.add_argument("--days", type=int, default=7, help="days of simulated listening")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 8], help="concurrent keep-alive connections (each)"
    )
    parser.add_argument("--weekly-users", type=int, default=500, help="listeners `weekly` runs for (0: all)")
    parser.add_argument(
        "--server-blas-threads", type=int, default=0,
        help="OPENBLAS_NUM_THREADS and OMP_NUM_THREADS for the server (0: leave them as they are)",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument("--quick", action="store_true", help="1k users × 10k tracks × 3 days, 300 requests")
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.tracks, args.days, args.requests, args.weekly_users = 1000, 10_000, 3, 300, 200
    return args


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    scaled = (args.users, args.tracks) != ISSUE_SIZE
    size = f"{args.users:,} users × {args.tracks:,} tracks × {args.days} days"
    log(f"world: {size}" + (" (scaled down from the issue's 100k × 1M)" if scaled else ""))
    results: dict[str, Any] = {
        "size": {"users": args.users, "tracks": args.tracks, "days": args.days},
        "server_blas_threads": args.server_blas_threads or "default",
    }
    with temp_dir("recommend-speed", keep=args.keep) as work:
        data_dir = work / "data"
        env = server_env(work)
        if args.server_blas_threads:
            env |= dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"), str(args.server_blas_threads))
        results["world"] = build_world(
            data_dir, seed=args.seed, users=args.users, tracks=args.tracks, days=args.days
        )
        out, train_s = run_cli(data_dir, env, "train", "--no-progress", "--json")
        results["train"] = {"wall_s": train_s, **json.loads(out.strip().splitlines()[-1])}
        log(f"trained in {train_s:.0f} s")
        users, items = model_ids(data_dir)
        sample = rng.sample(users, min(len(users), args.weekly_users)) if args.weekly_users else users
        weekly_args = [arg for user in sample for arg in ("--user", user)] if args.weekly_users else []
        out, weekly_s = run_cli(data_dir, env, "weekly", "--no-progress", *weekly_args)
        found = re.search(r"in ([0-9.]+) s \(", out)
        per_s = len(sample) / (float(found.group(1)) if found else weekly_s)  # the loop, without start-up
        results["weekly"] = {
            "users": len(sample),
            "wall_s": weekly_s,
            "users_per_s": per_s,
            "output": out.strip(),
        }
        log(out.strip())
        token = admin_token(data_dir, env)
        with Server(data_dir, env, consumers=False) as server:
            port, pids = server.port, server.pids()
            paths = seeded_paths(data_dir, users, items, args.requests + 1, rng)
            started = time.monotonic()
            load(port, [get_request(port, token, paths[0])], concurrency=1, pids=pids)
            results["first_seeded_request_ms"] = (time.monotonic() - started) * 1000
            seeded = [get_request(port, token, path) for path in paths[1:]]
            weekly = [
                get_request(port, token, f"/v1/users/{quote(rng.choice(sample))}/playlists/discover-weekly")
                for _ in range(args.requests)
            ]
            dj_path = "/v1/users/{}/dj/next"
            probe = post_request(port, token, dj_path.format(quote(users[0])), b'{"count": 5}')
            dj_probe = load(port, [probe], concurrency=1, pids=pids)
            endpoints: dict[str, list[bytes]] = {
                "recommendations with seeds": seeded,
                "discover weekly (precomputed)": weekly,
            }
            if dj_probe.latencies_ms:
                endpoints["dj next"] = [
                    post_request(port, token, dj_path.format(quote(rng.choice(users))), b'{"count": 5}')
                    for _ in range(args.requests)
                ]
            else:
                results["dj_skipped"] = f"POST /v1/users/{{u}}/dj/next answered {dict(dj_probe.errors)}"
                log(f"skipping the DJ: {results['dj_skipped']}")
            results["endpoints"] = {
                f"{name} @{concurrency}": {
                    "endpoint": name,
                    "concurrency": concurrency,
                    **measure(name, port, requests, concurrency=concurrency, pids=pids),
                }
                for concurrency in args.concurrency
                for name, requests in endpoints.items()
            }
    report(results, args, size=size, scaled=scaled)
    save_results("recommend_speed" + ("-quick" if args.quick else ""), results)
    return 0


def report(results: dict[str, Any], args: argparse.Namespace, *, size: str, scaled: bool) -> None:
    train = results["train"]
    print(f"\nWorld: {size}; {int(results['world']['events']):,} events; model {train['users']:,} users × "
          f"{train['tracks']:,} tracks. {machine()}.")  # fmt: skip
    if args.server_blas_threads:
        print(f"Server and CLI commands ran with OPENBLAS_NUM_THREADS={args.server_blas_threads}.")
    if scaled:
        print("Scaled down from the issue's 100k users × 1M tracks (pass --users/--tracks to go bigger).")
    rows, verdicts = [], []
    for measured in results["endpoints"].values():
        name, concurrency = measured["endpoint"], measured["concurrency"]
        latency, target = measured["latency_ms"], TARGET_P99_MS[name]
        errors = sum(measured["errors"].values())
        rows.append(Row(f"{name}, {concurrency} conn: p50 / p99 ms", f"p99 ≤ {target:g}",
                        f"{latency['p50']:.1f} / {latency['p99']:.1f}"))  # fmt: skip
        rows.append(Row("  req/s · errors · cores (ours / others)", "",
                        f"{measured['requests_per_s']:.0f} · {errors} · "
                        f"{measured['own_cores']:.2f} / {measured['other_cores']:.2f}"))  # fmt: skip
        met = not errors and latency["p99"] <= target
        verdicts.append(f"{name}, {concurrency} conn, p99 ≤ {target:g} ms: {verdict(met, quick=args.quick)}")
    if "dj_skipped" in results:
        rows.append(Row("dj next", "p99 ≤ 30", "skipped: no DJ endpoint"))
    rows.append(
        Row(
            "first seeded request (builds the catalog index), ms",
            "",
            f"{results['first_seeded_request_ms']:.0f}",
        )
    )
    weekly = results["weekly"]
    at_rate_s = ISSUE_SIZE[0] / weekly["users_per_s"]
    rows.append(
        Row(
            "`weekly` users/s (this catalogue)",
            "",
            f"{weekly['users_per_s']:.1f} ({weekly['users']:,} users)",
        )
    )
    rows.append(Row("`weekly`, 100k users at that rate, s", f"≤ {WEEKLY_TARGET_S:.0f}", f"{at_rate_s:.0f}"))
    verdicts.append(f"weekly 100k users ≤ {WEEKLY_TARGET_S:.0f} s (extrapolated): "
                    f"{verdict(at_rate_s <= WEEKLY_TARGET_S, quick=args.quick)}")  # fmt: skip
    rows.append(Row("`train` wall s", "", f"{train['wall_s']:.0f}"))
    print_table(
        f"recommend_speed, {args.concurrency} concurrent connections, {args.requests:,} requests each", rows
    )
    for line in verdicts:
        print(line)
