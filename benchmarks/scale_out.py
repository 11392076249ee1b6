"""The scale-out Store on PostgreSQL: reads and writes, multi-process ingest, and a live migration.

Targets (issue 7): ``get_profile`` of random users among 100k stored profiles of a few KB, p99 ≤ 5 ms,
both from one thread and from 8 threads at once; ``add_listens`` ≥ 20,000 listens/s in the archiver's
5000-row batches of complete Listen rows (names included).

In-process, through the Store API only (``open_backend``): the same profiles and listens go to a
fresh SQLite file (the baseline, default settings) and to a fresh database on the PostgreSQL server
(``--postgres-url``, by default the local one; the database is created and dropped by this run).

``--part ingest``: the scale-out layout as processes, ``serve --no-consumers`` plus ``worker archiver``
and ``worker profiler`` on the PostgreSQL store, against ``serve`` with its consumers in-process on
SQLite (the embedded default), under the same closed-loop load from this process (ingest_http's
generator): events/s accepted while loading, and events/s end to end (until both consumers' lag is 0).

``--part migrate``: a SQLite store of ``--migrate-listens`` listens and ``--migrate-profiles`` profiles
(written through the Store API) moved to PostgreSQL with ``tastemaker migrate start / backfill /
verify --repair / cutover`` (three steps) while ``serve`` takes a moderate live load of posts and reads:
backfill and verify rows/s, shadow-read mismatches from /metrics, and the requests that failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from benchmarks._harness import (
    BASE_TS,
    GENRES,
    HOST,
    YEAR_S,
    BatchRequests,
    CpuWindow,
    Row,
    Server,
    admin_token,
    blast,
    latency_summary,
    log,
    print_table,
    ratio,
    save_results,
    server_env,
    settle,
    tastemaker_command,
    temp_dir,
    track_of,
    verdict,
)
from benchmarks.ingest_http import BATCH as INGEST_BATCH
from benchmarks.ingest_http import TRACKS as INGEST_TRACKS
from benchmarks.ingest_http import USERS as INGEST_USERS
from tastemaker.backends import STORES, open_backend
from tastemaker.profiles.profile import TasteProfile, encode
from tastemaker.storage.models import Listen
from tastemaker.storage.store import Store

TARGET_P99_MS = 5.0
TARGET_LISTENS_S = 20_000
PROFILE_BYTES = 3_000
BATCH = 5_000
THREADS = 8
USERS = 100_000
TRACKS = 1_000_000
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
PARTS = ("store", "ingest", "migrate")
DRAINED = ("archiver", "profiler")
"""The consumers the scale-out layout runs as workers (the catalog consumer is not part of this test)."""
LIVE_TICK_S = 0.1
LIVE_BATCH = 100
"""The migration's live load: a batch of plays and two reads every tick (1,000 events/s, 20 reads/s)."""


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks scale_out", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="10k profiles, 4 listen batches, 5 s of ingest, 50k listens to migrate",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TASTEMAKER_BENCH_POSTGRES_URL", LOCAL_POSTGRES),
        help="a server where this run may create and drop a database (default: %(default)s)",
    )
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=20_000, help="get_profile calls per measurement")
    parser.add_argument("--listen-batches", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store-params", default="", help="query parameters for the PostgreSQL store URL")
    parser.add_argument("--part", choices=[*PARTS, "all"], default="all", help="what to measure (all)")
    parser.add_argument("--ingest-s", type=float, default=20.0, help="seconds of load per ingest layout")
    parser.add_argument("--concurrency", type=int, default=8, help="in-flight batches of the ingest load")
    parser.add_argument("--migrate-listens", type=int, default=1_000_000)
    parser.add_argument("--migrate-profiles", type=int, default=50_000)
    args = parser.parse_args(argv)
    if args.quick:
        args.profiles, args.reads, args.listen_batches = 10_000, 2_000, 4
        args.ingest_s, args.migrate_listens, args.migrate_profiles = 5.0, 50_000, 5_000
    return args


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server, dropped afterwards; yields its URL."""
    name = f"tastemaker_bench_{uuid.uuid4().hex[:8]}"
    ident = sql.Identifier(name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    base, _, query = server_url.partition("?")
    try:
        yield f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


def profile_batches(count: int, rng: random.Random) -> Iterator[dict[str, bytes]]:
    """Profiles of ``PROFILE_BYTES`` incompressible bytes each (stored profiles are compressed)."""
    for start in range(0, count, BATCH):
        yield {f"u{n}": rng.randbytes(PROFILE_BYTES) for n in range(start, min(count, start + BATCH))}


def listen_batch(batch_no: int, run: str) -> list[Listen]:
    """Complete Listen rows as the archiver writes them: names from the catalog, a year of ts."""
    listens = []
    for n in range(batch_no * BATCH, (batch_no + 1) * BATCH):
        track = track_of(n, TRACKS)
        listens.append(
            Listen(
                user_id=f"u{n % USERS}",
                event_id=f"{run}-{n}",
                ts=BASE_TS + timedelta(seconds=(n * 37) % YEAR_S, milliseconds=n % 1000),
                track_id=track,
                ms_played=30_000 + (n * 13) % 200_000,
                track_name=f"Track {track[1:]}",
                artist_name=f"Artist {n % 97_001}",
                album_name=f"Album {n % 250_003}",
                context=GENRES[n % len(GENRES)],
            )
        )
    return listens


def timed_reads(store: Store, users: int, reads: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    latencies = []
    for _ in range(reads):
        user = f"u{rng.randrange(users)}"
        started = time.perf_counter()
        found = store.get_profile(user)
        latencies.append((time.perf_counter() - started) * 1000)
        assert found is not None and len(found) == PROFILE_BYTES
    return latencies


def threaded_reads(store: Store, users: int, reads: int) -> tuple[list[float], float]:
    """``THREADS`` threads reading ``reads`` profiles in all; returns latencies and reads per second."""
    results: list[list[float]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            results[index] = timed_reads(store, users, reads // THREADS, seed=index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    latencies = [x for part in results for x in part]
    return latencies, len(latencies) / elapsed


def rate(work: Callable[[], int]) -> tuple[float, float, dict[str, float]]:
    """Run ``work`` (returns rows written); (rows/s, seconds, CPU window)."""
    with CpuWindow() as window:
        rows = work()
    return rows / window.wall_s, window.wall_s, window.as_dict()


def measure(url: str, args: argparse.Namespace, label: str) -> dict[str, Any]:
    store: Store = open_backend(STORES, url)
    try:
        rng = random.Random(args.seed)

        def write_profiles() -> int:
            for batch in profile_batches(args.profiles, rng):
                store.put_profiles(batch)
            return int(args.profiles)

        log(f"{label}: writing {args.profiles:,} profiles of {PROFILE_BYTES:,} bytes")
        profiles_s, profiles_wall, profiles_cpu = rate(write_profiles)
        settle()
        threaded_reads(store, args.profiles, min(4_000, args.reads))  # warm the cache, grow the pool
        log(f"{label}: {args.reads:,} get_profile calls, one thread then {THREADS} threads")
        with CpuWindow() as single_cpu:
            single = latency_summary(timed_reads(store, args.profiles, args.reads, seed=1))
        with CpuWindow() as threaded_cpu:
            threaded_latencies, threaded_rps = threaded_reads(store, args.profiles, args.reads)
        batches = [listen_batch(b, "run") for b in range(args.listen_batches)]

        def write_listens() -> int:
            new = sum(store.add_listens(batch) for batch in batches)
            assert new == BATCH * len(batches), new
            return new

        settle()
        log(f"{label}: add_listens, {len(batches)} batches of {BATCH:,}")
        listens_s, listens_wall, listens_cpu = rate(write_listens)

        def rewrite_listens() -> int:
            for batch in batches[:2]:
                assert store.add_listens(batch) == 0
            return 2 * BATCH

        dup_s, _, _ = rate(rewrite_listens)
        return {
            "put_profiles_per_s": profiles_s,
            "put_profiles_s": profiles_wall,
            "put_profiles_cpu": profiles_cpu,
            "get_profile_ms": single,
            "get_profile_cpu": single_cpu.as_dict(),
            "get_profile_threads_cpu": threaded_cpu.as_dict(),
            "get_profile_threads_ms": latency_summary(threaded_latencies),
            "get_profile_threads_per_s": threaded_rps,
            "add_listens_per_s": listens_s,
            "add_listens_s": listens_wall,
            "add_listens_cpu": listens_cpu,
            "add_listens_duplicates_per_s": dup_s,
        }
    finally:
        store.close()


def other(result: dict[str, Any]) -> str:
    """How busy the rest of the machine was (for PostgreSQL this includes its server processes)."""
    reads, writes = result["get_profile_threads_cpu"], result["add_listens_cpu"]
    return f"{reads['other_cores']:.2f} / {writes['other_cores']:.2f}"


def store_part(args: argparse.Namespace) -> dict[str, Any]:
    """Profile reads and listen writes through the Store API, PostgreSQL against SQLite."""
    results: dict[str, Any] = {
        "profiles": args.profiles,
        "reads": args.reads,
        "listen_batches": args.listen_batches,
    }
    with temp_dir("scale-out") as work:
        results["sqlite"] = measure(f"sqlite:///{work}/store.db", args, "sqlite")
    with scratch_database(args.postgres_url) as url:
        separator = "&" if "?" in url else "?"
        store_url = f"{url}{separator}{args.store_params}" if args.store_params else url
        results["postgresql"] = measure(store_url, args, "postgresql")
    pg, lite = results["postgresql"], results["sqlite"]
    met = (
        pg["get_profile_ms"]["p99"] <= TARGET_P99_MS
        and pg["get_profile_threads_ms"]["p99"] <= TARGET_P99_MS
        and pg["add_listens_per_s"] >= TARGET_LISTENS_S
    )
    results["verdict"] = verdict(met, quick=args.quick)
    rows = [
        Row(
            "get_profile p50 / p99, 1 thread (ms)",
            f"p99 ≤ {TARGET_P99_MS:g}",
            f"{pg['get_profile_ms']['p50']:.3f} / {pg['get_profile_ms']['p99']:.3f}",
            f"{lite['get_profile_ms']['p50']:.3f} / {lite['get_profile_ms']['p99']:.3f}",
            ratio(pg["get_profile_ms"]["p99"], lite["get_profile_ms"]["p99"]),
        ),
        Row(
            f"get_profile p50 / p99, {THREADS} threads (ms)",
            f"p99 ≤ {TARGET_P99_MS:g}",
            f"{pg['get_profile_threads_ms']['p50']:.3f} / {pg['get_profile_threads_ms']['p99']:.3f}",
            f"{lite['get_profile_threads_ms']['p50']:.3f} / {lite['get_profile_threads_ms']['p99']:.3f}",
            ratio(pg["get_profile_threads_ms"]["p99"], lite["get_profile_threads_ms"]["p99"]),
        ),
        Row(
            f"get_profile reads/s, {THREADS} threads",
            "",
            f"{pg['get_profile_threads_per_s']:,.0f}",
            f"{lite['get_profile_threads_per_s']:,.0f}",
            ratio(pg["get_profile_threads_per_s"], lite["get_profile_threads_per_s"]),
        ),
        Row(
            f"add_listens, {BATCH:,}-row batches (listens/s)",
            f"≥ {TARGET_LISTENS_S:,}",
            f"{pg['add_listens_per_s']:,.0f}",
            f"{lite['add_listens_per_s']:,.0f}",
            ratio(pg["add_listens_per_s"], lite["add_listens_per_s"]),
        ),
        Row(
            "add_listens of already stored batches (listens/s)",
            "",
            f"{pg['add_listens_duplicates_per_s']:,.0f}",
            f"{lite['add_listens_duplicates_per_s']:,.0f}",
            ratio(pg["add_listens_duplicates_per_s"], lite["add_listens_duplicates_per_s"]),
        ),
        Row(
            f"put_profiles, {BATCH:,}-row batches (profiles/s)",
            "",
            f"{pg['put_profiles_per_s']:,.0f}",
            f"{lite['put_profiles_per_s']:,.0f}",
            ratio(pg["put_profiles_per_s"], lite["put_profiles_per_s"]),
        ),
    ]
    rows.append(
        Row("other processes' CPU, 8-thread reads / listen writes (cores)", "", other(pg), other(lite))
    )
    title = f"scale_out: PostgreSQL store vs SQLite ({args.profiles:,} profiles) — {results['verdict']}"
    print_table(title, rows)
    return results


# -- multi-process ingest --------------------------------------------------------------------------


def lags(port: int) -> dict[str, int]:
    """The drained consumers' lag, read by the API from the shared log."""
    consumers = httpx.get(f"http://{HOST}:{port}/healthz", timeout=30).json()["consumers"]
    return {name: int(consumers[name]["lag"]) for name in DRAINED}


def wait_drained(port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not any(lags(port).values()):
            return True
        time.sleep(0.1)
    return False


def start_workers(data_dir: Path, env: dict[str, str], log_path: Path) -> list[subprocess.Popen[bytes]]:
    with log_path.open("ab") as out:
        return [
            subprocess.Popen(tastemaker_command(data_dir, "worker", name), env=env, stdout=out,
                             stderr=subprocess.STDOUT)
            for name in DRAINED
        ]  # fmt: skip


def stop_workers(workers: Sequence[subprocess.Popen[bytes]]) -> list[int]:
    """SIGTERM, as an orchestrator stops them; their exit codes (0 expected)."""
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    return [worker.wait(60) for worker in workers]


def ingest_run(work: Path, label: str, args: argparse.Namespace, store_url: str | None) -> dict[str, Any]:
    """One layout under the closed-loop load: with ``store_url`` the API alone plus one worker process
    per consumer on that store, else ``serve`` with its consumers in-process on the default SQLite."""
    data_dir = work / f"ingest-{label}"
    env = server_env(work, **({"store_url": store_url} if store_url else {}))
    token = admin_token(data_dir, env)
    settle()
    with Server(data_dir, env, consumers=store_url is None) as server:
        workers = start_workers(data_dir, env, server.log_path) if store_url else []
        try:
            requests = BatchRequests(port=server.port, token=token, run=label, batch_size=INGEST_BATCH,
                                     users=INGEST_USERS, tracks=INGEST_TRACKS)  # fmt: skip
            feed = deque(range(int(args.ingest_s * 400_000 / INGEST_BATCH)))
            log(f"ingest {label}: {args.ingest_s:.0f} s of load, {args.concurrency} batches in flight")
            t0 = time.monotonic()
            with CpuWindow(*server.pids(), *(w.pid for w in workers)) as window:
                result = blast(requests, feed, port=server.port, concurrency=args.concurrency,
                               duration_s=args.ingest_s)  # fmt: skip
            lag_at_end = lags(server.port)
            drained = wait_drained(server.port, timeout_s=600)
            end_to_end_s = time.monotonic() - t0
        finally:
            exits = stop_workers(workers)
    accepted = sum(n for _, n in result.acks)
    log(f"ingest {label}: {accepted:,} events in {result.wall_s:.1f} s; drained after {end_to_end_s:.1f} s")
    return {
        "accepted_events": accepted,
        "accepted_events_s": accepted / result.wall_s,
        "end_to_end_events_s": accepted / end_to_end_s if drained else 0.0,
        "drain_after_load_s": end_to_end_s - result.wall_s,
        "lag_at_load_end": lag_at_end,
        "errors": dict(result.errors),
        "worker_exit_codes": exits,
        "consumer_failures": server.consumer_failures(),
        "own_cores": window.own_cores,
        "other_cores": window.other_cores,
    }


def ingest_part(args: argparse.Namespace) -> tuple[dict[str, Any], list[Row]]:
    with temp_dir("scale-out-ingest") as work:
        embedded = ingest_run(work, "embedded", args, None)
        with scratch_database(args.postgres_url) as url:
            multi = ingest_run(work, "multi", args, url)
    rows = [
        Row("ingest: events/s accepted (API + archiver + profiler processes, PostgreSQL)", "",
            f"{multi['accepted_events_s']:,.0f}", f"{embedded['accepted_events_s']:,.0f} (embedded, SQLite)",
            ratio(multi["accepted_events_s"], embedded["accepted_events_s"])),
        Row("ingest: events/s end to end (until archiver and profiler lag 0)", "",
            f"{multi['end_to_end_events_s']:,.0f}", f"{embedded['end_to_end_events_s']:,.0f}",
            ratio(multi["end_to_end_events_s"], embedded["end_to_end_events_s"])),
        Row("  lag when the load ended (archiver / profiler)", "",
            " / ".join(f"{multi['lag_at_load_end'][n]:,}" for n in DRAINED),
            " / ".join(f"{embedded['lag_at_load_end'][n]:,}" for n in DRAINED)),
        Row("  request errors / consumer failures / worker exit codes", "0",
            f"{sum(multi['errors'].values())} / {multi['consumer_failures']} / {multi['worker_exit_codes']}",
            f"{sum(embedded['errors'].values())} / {embedded['consumer_failures']}"),
        Row("  our processes' CPU / other processes' CPU (cores)", "",
            f"{multi['own_cores']:.2f} / {multi['other_cores']:.2f}",
            f"{embedded['own_cores']:.2f} / {embedded['other_cores']:.2f}"),
    ]  # fmt: skip
    return {"embedded": embedded, "multi_process": multi}, rows


# -- migration at scale ----------------------------------------------------------------------------


def build_store(url: str, listens: int, profiles: int) -> None:
    """The store to migrate, written straight through the Store API (no HTTP, no log)."""
    store: Store = open_backend(STORES, url)
    try:
        for batch_no in range(-(-listens // BATCH)):
            store.add_listens(listen_batch(batch_no, "seed")[: listens - batch_no * BATCH])
        for start in range(0, profiles, BATCH):
            store.put_profiles(
                {f"u{n}": encode(TasteProfile(user_id=f"u{n}", plays=n % 500, ms_played=n * 1000))
                 for n in range(start, min(profiles, start + BATCH))}
            )  # fmt: skip
    finally:
        store.close()


class LiveLoad:
    """Every ``LIVE_TICK_S``: a batch of plays and two reads (a user's listens and profile), each
    request's outcome counted under the step of the migration it ran in."""

    def __init__(self, port: int, token: str, users: int) -> None:
        self.requests = BatchRequests(port=port, token=token, run="live", batch_size=LIVE_BATCH,
                                      users=INGEST_USERS, tracks=INGEST_TRACKS)  # fmt: skip
        self.port, self.token, self.users = port, token, users
        self.step = "start"
        self.outcomes: Counter[tuple[str, str]] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-load")

    def _run(self) -> None:
        rng = random.Random(3)
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=f"http://{HOST}:{self.port}", headers=headers, timeout=30) as client:
            for tick in range(10**9):
                if self._stop.wait(LIVE_TICK_S):
                    return
                user = f"u{rng.randrange(self.users)}"
                calls = [("POST", "/v1/events", self.requests.body(tick)),
                         ("GET", f"/v1/users/{user}/listens?count=5", None),
                         ("GET", f"/v1/users/{user}/profile", None)]  # fmt: skip
                for method, path, body in calls:
                    try:
                        status = str(client.request(method, path, content=body).status_code)
                    except httpx.TransportError as exc:
                        status = type(exc).__name__
                    self.outcomes[(self.step, status)] += 1

    def failed(self, step: str | None = None) -> int:
        return sum(n for (s, status), n in self.outcomes.items()
                   if status not in ("200", "202") and step in (None, s))  # fmt: skip

    def __enter__(self) -> LiveLoad:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(60)


def migration_counters(port: int) -> dict[str, float]:
    """The tastemaker_migration_* counters of /metrics, summed over methods."""
    text = httpx.get(f"http://{HOST}:{port}/metrics", timeout=30).text
    counters: dict[str, float] = {}
    for line in text.splitlines():
        match = re.match(r"tastemaker_migration_(\w+)_total\{.*\} (\S+)$", line)
        if match:
            counters[match[1]] = counters.get(match[1], 0.0) + float(match[2])
    return counters


def migrate_cli(data_dir: Path, env: dict[str, str], *args: str) -> tuple[str, float]:
    """``tastemaker migrate ARGS``: its stdout and wall seconds (exit 1 of verify: rows differed)."""
    t0 = time.monotonic()
    done = subprocess.run(tastemaker_command(data_dir, "migrate", *args), env=env, capture_output=True,
                          text=True, timeout=3600, check=False)  # fmt: skip
    if done.returncode not in (0, 1) or (done.returncode == 1 and args[0] != "verify"):
        raise RuntimeError(f"migrate {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout, time.monotonic() - t0


def migrate_part(args: argparse.Namespace) -> tuple[dict[str, Any], list[Row]]:
    with temp_dir("scale-out-migrate") as work, scratch_database(args.postgres_url) as target_url:
        data_dir = work / "data"
        data_dir.mkdir()
        log(f"migrate: building {args.migrate_listens:,} listens and {args.migrate_profiles:,} profiles")
        build_store(f"sqlite:///{data_dir}/store.db", args.migrate_listens, args.migrate_profiles)
        env = server_env(work)
        token = admin_token(data_dir, env)
        settle()
        with Server(data_dir, env) as server, LiveLoad(server.port, token, args.migrate_profiles) as load:
            time.sleep(2)
            migrate_cli(data_dir, env, "start", "--to", target_url, "--shadow-rate", "1")
            load.step = "backfill"
            log("migrate: backfill")
            copied, backfill_s = migrate_cli(data_dir, env, "backfill", "--no-progress", "--batch", "5000")
            backfilled = sum(int(n.replace(",", "")) for n in re.findall(r"\w+ ([\d,]+)", copied))
            after_backfill = migration_counters(server.port)
            load.step = "verify"
            log("migrate: verify --repair")
            report_json, verify_s = migrate_cli(
                data_dir, env, "verify", "--repair", "--json", "--no-progress"
            )
            report = json.loads(report_json)
            load.step = "cutover"
            for _ in range(3):  # reads to the new store, then writes, then done
                migrate_cli(data_dir, env, "cutover")
                time.sleep(3)  # every process follows within a second; requests keep flowing
            load.step = "after"
            time.sleep(2)
            at_end = migration_counters(server.port)
    verified = sum(t["rows"] for t in report.values())
    result = {
        "listens": args.migrate_listens,
        "profiles": args.migrate_profiles,
        "backfill_rows": backfilled,
        "backfill_s": backfill_s,
        "verify_rows": verified,
        "verify_s": verify_s,
        "verify_report": report,
        "counters_after_backfill": after_backfill,
        "counters_at_end": at_end,
        "requests": {f"{step} {status}": n for (step, status), n in sorted(load.outcomes.items())},
        "failed_requests": load.failed(),
        "failed_during_cutover": load.failed("cutover"),
    }
    since = {kind: n - after_backfill.get(kind, 0.0) for kind, n in at_end.items()}
    differing = sum(t["differing"] for t in report.values())
    repaired = sum(t["repaired"] for t in report.values())
    rows = [
        Row("migrate: backfill SQLite → PostgreSQL (rows/s, CLI wall time)", "",
            f"{backfilled / backfill_s:,.0f}", f"{backfilled:,} rows in {backfill_s:.1f} s"),
        Row("migrate: verify --repair (rows/s, both stores read)", "",
            f"{verified / verify_s:,.0f}", f"{verified:,} rows in {verify_s:.1f} s",
            ratio(verified / verify_s, backfilled / backfill_s)),
        Row("  rows verify found differing and copied again / still differing after", "",
            f"{repaired:,} / {differing:,}"),
        Row("  shadow reads / mismatches until the backfill ended (/metrics)", "",
            f"{after_backfill.get('shadow_reads', 0):,.0f} / "
            f"{after_backfill.get('shadow_mismatches', 0):,.0f}"),
        Row("  shadow reads / mismatches after the backfill, to the end", "",
            f"{since.get('shadow_reads', 0):,.0f} / {since.get('shadow_mismatches', 0):,.0f}"),
        Row("  mirrored writes / mirror errors (whole migration)", "",
            f"{at_end.get('mirrored_writes', 0):,.0f} / {at_end.get('mirror_errors', 0):,.0f}"),
        Row("  live requests failed during cutover / in all", "0",
            f"{result['failed_during_cutover']} / {result['failed_requests']}",
            f"of {sum(load.outcomes.values()):,} requests"),
    ]  # fmt: skip
    return result, rows


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    try:
        psycopg.connect(args.postgres_url, connect_timeout=2).close()
    except psycopg.OperationalError as exc:
        print(f"scale_out: cannot reach PostgreSQL ({exc}); pass --postgres-url", file=sys.stderr)
        return 2
    parts = PARTS if args.part == "all" else (args.part,)
    results: dict[str, Any] = {"parts": parts, "quick": args.quick}
    if "store" in parts:
        results |= store_part(args)
    rows: list[Row] = []
    if "ingest" in parts:
        results["ingest"], ingest_rows = ingest_part(args)
        rows += ingest_rows
    if "migrate" in parts:
        results["migrate"], migrate_rows = migrate_part(args)
        rows += migrate_rows
    if rows:
        quick = " (quick smoke run at reduced size)" if args.quick else ""
        print_table(f"scale_out: multi-process ingest and migration on PostgreSQL{quick}", rows)
    save_results("scale_out" + ("-quick" if args.quick else ""), results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
