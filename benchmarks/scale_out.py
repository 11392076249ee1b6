"""The scale-out Store on PostgreSQL: profile reads and listen writes, with SQLite as the baseline.

Targets (issue 7): ``get_profile`` of random users among 100k stored profiles of a few KB, p99 ≤ 5 ms,
both from one thread and from 8 threads at once; ``add_listens`` ≥ 20,000 listens/s in the archiver's
5000-row batches of complete Listen rows (names included).

In-process, through the Store API only (``open_backend``): the same profiles and listens go to a
fresh SQLite file (the baseline, default settings) and to a fresh database on the PostgreSQL server
(``--postgres-url``, by default the local one; the database is created and dropped by this run).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
from psycopg import sql

from benchmarks._harness import (
    BASE_TS,
    GENRES,
    YEAR_S,
    CpuWindow,
    Row,
    latency_summary,
    log,
    print_table,
    ratio,
    save_results,
    settle,
    temp_dir,
    track_of,
    verdict,
)
from tastemaker.backends import STORES, open_backend
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


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks scale_out", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="10k profiles, 4 listen batches")
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
    args = parser.parse_args(argv)
    if args.quick:
        args.profiles, args.reads, args.listen_batches = 10_000, 2_000, 4
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


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    results: dict[str, Any] = {
        "profiles": args.profiles,
        "reads": args.reads,
        "listen_batches": args.listen_batches,
    }
    try:
        psycopg.connect(args.postgres_url, connect_timeout=2).close()
    except psycopg.OperationalError as exc:
        print(f"scale_out: cannot reach PostgreSQL ({exc}); pass --postgres-url", file=sys.stderr)
        return 2
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
    save_results("scale_out", results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
