"""Wrapped at scale: every listener's recap from a simulated archive of 10 M, 30 M and 100 M events.

Targets (the Wrapped issue, on this 2-core machine): 100 M events → every user's recap in ≤ 90 s
wall with DuckDB, peak RSS ≤ 3 GB and flat in the number of events (cost linear: 10 M, 30 M, 100 M);
the Sort-Merge-Bucket path faster and leaner than the same job without it (``DuckDBEngine(
bucketed=False)``: every bucket in one run, one hash join over the whole year, the baseline measured
in the same run); Spark ``local[2]`` on the same archive (its time, the DuckDB/Spark ratio, and its
physical plan of the join, which must have no ``Exchange``); and archive writing that keeps up with
ingestion (``Archive.append`` + ``compact`` ≥ 100,000 events/s, measured on a slice of pre-generated
events so that the simulator's time is not in it).

The data sets are generated once and cached (``benchmarks/wrapped_data.py``). Each measurement runs
in a fresh child process (peak RSS is that run's: ``ru_maxrss`` from ``wait4``, and the sampled RSS
of the child's whole process tree, which covers Spark's JVM), with a fresh stage folder and a copy of
the data set's store to write the recaps into. For DuckDB, every statement the engine sends is timed
(by a thin wrapper around its connection), which gives the per-query profile printed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, cast

from benchmarks._harness import (
    Row,
    _machine_busy_s,
    log,
    machine,
    print_grid,
    print_table,
    proc_status_kib,
    process_tree,
    ratio,
    save_results,
    verdict,
)
from benchmarks.wrapped_data import (
    CACHE,
    YEAR,
    DataSet,
    dataset,
    parse_size,
    size_label,
    write_throughput,
)

TARGET_WALL_S = 90.0
TARGET_RSS_MB = 3000.0
TARGET_WRITE_EPS = 100_000.0
TARGET_EVENTS = 100_000_000
KINDS = ("smb", "unbucketed", "spark")
KIND_LABEL = {"smb": "DuckDB SMB", "unbucketed": "DuckDB unbucketed", "spark": "Spark local[2]"}


# -- the child: one job run ---------------------------------------------------------------------------


class _TimedRelation:
    def __init__(self, relation: Any, label: str, seconds: dict[str, float]) -> None:
        self._relation = relation
        self._label = label
        self._seconds = seconds

    def to_arrow_table(self) -> Any:
        started = time.perf_counter()
        table = self._relation.to_arrow_table()
        self._seconds[self._label] += time.perf_counter() - started
        return table

    def __getattr__(self, name: str) -> Any:
        return getattr(self._relation, name)


class TimedConnection:
    """A DuckDB connection that adds up the seconds of each statement: ``build <relation>`` for the
    engine's CREATE statements, the query's name for the job's queries (run via ``sql``)."""

    def __init__(self, con: Any, queries: dict[str, str]) -> None:
        self._con = con
        self._names = {sql: name for name, sql in queries.items()}
        self.seconds: dict[str, float] = defaultdict(float)

    def execute(self, sql: str, *params: Any) -> Any:
        found = re.search(r"TEMP (?:TABLE|VIEW) (\w+)", sql)
        label = f"build {found.group(1)}" if found else "settings"
        started = time.perf_counter()
        result = self._con.execute(sql, *params)
        self.seconds[label] += time.perf_counter() - started
        return result

    def sql(self, sql: str) -> _TimedRelation:
        return _TimedRelation(self._con.sql(sql), self._names.get(sql, "other query"), self.seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def child(kind: str, folder: Path, buckets: int, store_path: Path, result_path: Path) -> int:
    """Run the Wrapped job once and write what it measured as JSON to ``result_path``."""
    from tastemaker.engines.base import Engine, JobInput
    from tastemaker.storage.archive import Archive
    from tastemaker.storage.sqlite_store import SQLiteStore
    from tastemaker.wrapped.job import WrappedJob
    from tastemaker.wrapped.stats import all_queries

    archive = Archive(str(folder / "archive"), buckets=buckets)
    store = SQLiteStore.from_url(f"sqlite:///{store_path}")
    engine: Engine
    timed: TimedConnection | None = None
    if kind == "spark":
        from tastemaker.engines.spark_engine import SparkEngine

        engine = SparkEngine(master="local[2]")
    else:
        from tastemaker.engines.duckdb_engine import DuckDBEngine

        shutil.rmtree(Path(tempfile.gettempdir()) / "tastemaker-duckdb", ignore_errors=True)
        queries = dict(all_queries(YEAR))
        shared: defaultdict[str, float] = defaultdict(float)

        def timed_connection(con: Any) -> TimedConnection:
            wrapped = TimedConnection(con, queries)
            wrapped.seconds = shared  # both bucket threads add to one table
            return wrapped

        duck = DuckDBEngine(bucketed=kind == "smb", wrap=timed_connection)
        timed = TimedConnection(None, queries)
        timed.seconds = shared
        engine = duck
    job = WrappedJob(archive, store, YEAR, engine)
    archive.remove_tree(job.stage_dir)
    group_s: list[float] = []
    last = time.perf_counter()

    def on_group(_: int) -> None:
        nonlocal last
        now = time.perf_counter()
        group_s.append(now - last)
        last = now

    started = last = time.perf_counter()
    report = job.run(on_group=on_group)
    wall_s = time.perf_counter() - started
    result: dict[str, Any] = {
        "wall_s": wall_s,
        "groups": report.groups,
        "listeners": report.listeners,
        "phases": report.seconds,
        "group_s": group_s,
        "queries": dict(timed.seconds) if timed else {},
    }
    if kind == "spark":
        from tastemaker.engines.spark_engine import SparkEngine

        spark = cast("SparkEngine", engine)
        started = time.perf_counter()
        job_input = JobInput(archive, date(YEAR, 1, 1), date(YEAR + 1, 1, 1))
        result["plan"] = spark.explain_join(job_input, list(range(buckets)))
        result["explain_s"] = time.perf_counter() - started
    engine.close()
    store.close()
    archive.remove_tree(job.stage_dir)
    result_path.write_text(json.dumps(result))
    return 0


# -- the parent: one measurement per child -------------------------------------------------------------


class TreeRss:
    """Samples the summed VmRSS of a process and its descendants (Spark's JVM) in a thread."""

    def __init__(self, pid: int, *, interval_s: float = 0.25) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-rss", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(proc_status_kib(p).get("VmRSS", 0) for p in process_tree(self.pid))
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def measure(data: DataSet, kind: str, *, timeout_s: float) -> dict[str, Any]:
    """One run of the job in a fresh child process: its numbers, or ``{"error": …}``."""
    label = f"{size_label(data.plan.events)} {KIND_LABEL[kind]}"
    log(f"{label}: running ({data.rows:,} events, M = {data.plan.buckets})")
    with tempfile.TemporaryDirectory(prefix="wrapped-run-", dir=CACHE) as work:
        store_path = Path(work) / "store.db"
        shutil.copyfile(data.store_path, store_path)
        result_path = Path(work) / "result.json"
        command = [
            sys.executable, "-m", "benchmarks.wrapped_scale", "--child", kind, "--data", str(data.folder),
            "--buckets", str(data.plan.buckets), "--store", str(store_path), "--result", str(result_path),
        ]  # fmt: skip
        started, busy = time.perf_counter(), _machine_busy_s()
        process = subprocess.Popen(command, start_new_session=True)
        timed_out = False
        with TreeRss(process.pid) as tree:
            deadline = started + timeout_s
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    timed_out = True
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    pid, status, usage = os.wait4(process.pid, 0)
                    break
                time.sleep(0.1)
        process.returncode = os.waitstatus_to_exitcode(status)
        process_s = time.perf_counter() - started
        busy = _machine_busy_s() - busy
        peak_mb = max(usage.ru_maxrss, tree.peak_kib) / 1024
        if timed_out or process.returncode != 0 or not result_path.exists():
            why = f"timed out after {timeout_s:.0f} s" if timed_out else f"exit {process.returncode}"
            log(f"{label}: FAILED ({why}; peak RSS {peak_mb:.0f} MB)")
            return {"error": why, "peak_rss_mb": peak_mb, "process_s": process_s}
        result: dict[str, Any] = json.loads(result_path.read_text())
    result |= {
        "process_s": process_s,
        "peak_rss_mb": peak_mb,
        "maxrss_mb": usage.ru_maxrss / 1024,
        "tree_rss_mb": tree.peak_kib / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "cores": None if kind == "spark" else (usage.ru_utime + usage.ru_stime) / process_s,
        "machine_cores": busy / process_s,
        "other_cores": None if kind == "spark" else (busy - usage.ru_utime - usage.ru_stime) / process_s,
        "events": data.rows,
        "events_per_s": data.rows / result["wall_s"],
        "s_per_m_events": result["wall_s"] / (data.rows / 1e6),
    }
    log(f"{label}: {result['wall_s']:.1f} s, peak RSS {peak_mb:.0f} MB, {result['listeners']:,} recaps")
    return result


# -- main -------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks wrapped_scale", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--sizes", default="10M,30M,100M", help="archive sizes in events (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--unbucketed-max",
        default="30M",
        help="run the unbucketed baseline up to this size (default %(default)s)",
    )
    parser.add_argument(
        "--spark-max", default="0", help="run Spark up to this size (default: the smallest size only)"
    )
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--write-slice", default="2M", help="events for the archive-write throughput")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per job run")
    parser.add_argument("--quick", action="store_true", help="1M events only, 200k write slice")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--buckets", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.write_slice = "1M", "200k"
    return args


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args.child, args.data, args.buckets, args.store, args.result)
    sizes = sorted(parse_size(s) for s in args.sizes.split(","))
    unbucketed_max = parse_size(args.unbucketed_max)
    spark_max = parse_size(args.spark_max) or sizes[0]
    CACHE.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "sizes": {},
        "write": write_throughput(slice_events=parse_size(args.write_slice)),
    }
    for size in sizes:
        started = time.perf_counter()
        data = dataset(size, seed=args.seed)
        entry: dict[str, Any] = {
            "plan": data.meta["plan"],
            "rows": data.rows,
            "year_rows": data.year_rows,
            "disk_bytes": data.meta["disk_bytes"],
            "generation": data.meta["timings"],
            "dataset_s": time.perf_counter() - started,
            "runs": {},
        }
        results["sizes"][str(size)] = entry
        kinds = ["smb"]
        if size <= unbucketed_max:
            kinds.append("unbucketed")
        if not args.no_spark and size <= spark_max:
            kinds.append("spark")
        for kind in kinds:
            entry["runs"][kind] = measure(data, kind, timeout_s=args.timeout)
    report(results, args)
    save_results("wrapped_scale" + ("-quick" if args.quick else ""), results)
    return 0


def _mb(run: dict[str, Any]) -> str:
    return f"{run['peak_rss_mb']:.0f}"


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"\n{machine()}. Simulated archives: year {YEAR} plus 4 weeks of December {YEAR - 1} as history.")
    rows = []
    for entry in results["sizes"].values():
        plan = entry["plan"]
        for kind, run in entry["runs"].items():
            head = [size_label(plan["events"]), f"{entry['rows']:,}", str(plan["buckets"]), KIND_LABEL[kind]]
            if "error" in run:
                rows.append([*head, f"FAILED: {run['error']}", "", _mb(run), "", "", "", "", "", ""])
                continue
            phases = run["phases"]
            rows.append(
                [
                    *head,
                    f"{run['wall_s']:.1f}",
                    f"{run['events_per_s'] / 1e6:.2f}",
                    _mb(run),
                    f"(machine {run['machine_cores']:.2f})"
                    if run["cores"] is None
                    else f"{run['cores']:.2f} ({run['other_cores']:.2f})",
                    f"{phases.get('buckets', 0):.1f}",
                    f"{phases.get('population', 0):.1f}",
                    f"{phases.get('recaps', 0):.1f}",
                    f"{run['listeners']:,}",
                    f"{run['s_per_m_events']:.2f}",
                ]
            )
    print_grid(
        "Wrapped job runs (each in a fresh process)",
        ["size", "events", "M", "engine", "wall s", "M events/s", "peak RSS MB", "cores (other)", "buckets s",
         "population s", "recaps s", "recaps", "s per 1M events"],
        rows,
    )  # fmt: skip

    table: list[Row] = []
    verdicts: list[str] = []
    for entry in results["sizes"].values():
        label = size_label(entry["plan"]["events"])
        runs = entry["runs"]
        smb, flat = runs.get("smb", {}), runs.get("unbucketed")
        if flat is not None and "error" not in smb:
            if "error" in flat:
                table.append(Row(f"{label}: SMB vs unbucketed", "SMB faster", f"{smb['wall_s']:.1f} s",
                                 f"FAILED: {flat['error']}"))  # fmt: skip
            else:
                table.append(Row(f"{label}: wall s, SMB vs unbucketed", "SMB faster", f"{smb['wall_s']:.1f}",
                                 f"{flat['wall_s']:.1f}", ratio(smb["wall_s"], flat["wall_s"])))  # fmt: skip
                table.append(Row(f"{label}: peak RSS MB, SMB vs unbucketed", "SMB leaner",
                                 _mb(smb), _mb(flat),
                                 ratio(smb["peak_rss_mb"], flat["peak_rss_mb"])))  # fmt: skip
                met = smb["wall_s"] < flat["wall_s"] and smb["peak_rss_mb"] < flat["peak_rss_mb"]
                verdicts.append(
                    f"{label}: SMB faster and leaner than unbucketed: {verdict(met, quick=args.quick)}"
                )
        spark = runs.get("spark")
        if spark is not None and "error" not in smb:
            if "error" in spark:
                table.append(Row(f"{label}: DuckDB SMB vs Spark local[2], s", "", f"{smb['wall_s']:.1f}",
                                 f"FAILED: {spark['error']}"))  # fmt: skip
            else:
                table.append(Row(f"{label}: wall s, DuckDB SMB vs Spark local[2]", "", f"{smb['wall_s']:.1f}",
                                 f"{spark['wall_s']:.1f}",
                                 ratio(smb["wall_s"], spark["wall_s"])))  # fmt: skip
                table.append(Row(f"{label}: peak RSS MB (process tree), DuckDB vs Spark", "", _mb(smb),
                                 _mb(spark), ratio(smb["peak_rss_mb"], spark["peak_rss_mb"])))  # fmt: skip
    smbs = [
        (e["plan"]["events"], e["runs"]["smb"])
        for e in results["sizes"].values()
        if "error" not in e["runs"]["smb"]
    ]
    if len(smbs) > 1:
        (n0, first), (n1, last) = smbs[0], smbs[-1]
        table.append(Row(f"s per 1M events, {size_label(n1)} vs {size_label(n0)} (linear: 1)", "≈ 1",
                         f"{last['s_per_m_events']:.2f}", f"{first['s_per_m_events']:.2f}",
                         ratio(last["s_per_m_events"], first["s_per_m_events"])))  # fmt: skip
        table.append(Row(f"peak RSS MB, {size_label(n1)} vs {size_label(n0)} (flat: 1)", "≈ 1", _mb(last),
                         _mb(first), ratio(last["peak_rss_mb"], first["peak_rss_mb"])))  # fmt: skip
    for n, run in smbs:
        if n >= TARGET_EVENTS * 0.95:
            met = run["wall_s"] <= TARGET_WALL_S and run["peak_rss_mb"] <= TARGET_RSS_MB
            table.append(Row(f"{size_label(n)}: wall s / peak RSS MB",
                             f"≤ {TARGET_WALL_S:.0f} / ≤ {TARGET_RSS_MB:.0f}",
                             f"{run['wall_s']:.1f} / {_mb(run)}"))  # fmt: skip
            verdicts.append(f"{size_label(n)} in ≤ 90 s and ≤ 3 GB: {verdict(met, quick=args.quick)}")
    if smbs and smbs[-1][0] < TARGET_EVENTS * 0.95:
        n, run = smbs[-1]
        at = run["s_per_m_events"] * TARGET_EVENTS / 1e6
        table.append(
            Row(f"100M extrapolated from {size_label(n)} (linear)", f"≤ {TARGET_WALL_S:.0f}", f"{at:.0f} s")
        )
        verdicts.append(
            f"100M ≤ 90 s (extrapolated, not measured): {verdict(at <= TARGET_WALL_S, quick=True)}"
        )
    write = results["write"]
    table.append(Row(f"archive write (append + compact), {write['events']:,.0f} events, "
                     f"M = {write['buckets']:.0f}",
                     f"≥ {TARGET_WRITE_EPS:,.0f} /s", f"{write['write_eps']:,.0f} /s"))  # fmt: skip
    table.append(
        Row(
            "  append only / compact only", "", f"{write['append_eps']:,.0f} / {write['compact_eps']:,.0f} /s"
        )
    )
    verdicts.append(
        f"archive write ≥ 100k events/s: {verdict(write['write_eps'] >= TARGET_WRITE_EPS, quick=args.quick)}"
    )
    print_table("Wrapped at scale: targets", table)

    gen_rows = []
    for entry in results["sizes"].values():
        timings, plan = entry["generation"], entry["plan"]
        total = timings["simulate_and_append_wall_s"] + timings["compact_s"]
        gen_rows.append([size_label(plan["events"]), f"{entry['rows']:,}", f"{plan['users']:,}",
                         f"{plan['tracks']:,}",
                         str(plan["buckets"]), f"{entry['disk_bytes'] / 1e9:.2f}",
                         f"{timings['simulate_and_append_wall_s']:.0f}", f"{timings['compact_s']:.0f}",
                         f"{entry['rows'] / total:,.0f}"])  # fmt: skip
    print_grid("Data sets (generated once, cached; 2 processes simulate+append, 2 compact)",
               ["size", "events", "users", "tracks", "M", "GB", "simulate+append s", "compact s", "events/s"],
               gen_rows)  # fmt: skip

    for entry in results["sizes"].values():
        for kind, run in entry["runs"].items():
            if run.get("queries"):
                total = sum(run["queries"].values())
                ordered = sorted(run["queries"].items(), key=lambda kv: -kv[1])
                groups = run["group_s"]
                title = (f"{size_label(entry['plan']['events'])} {KIND_LABEL[kind]}: seconds per statement "
                         f"(all groups; {len(groups)} groups, slowest {max(groups):.1f} s, "
                         f"median {sorted(groups)[len(groups) // 2]:.1f} s)")  # fmt: skip
                print_grid(title, ["statement", "s", "share"],
                           [[name, f"{s:.2f}", f"{s / total:.0%}"] for name, s in ordered])  # fmt: skip
            if run.get("plan"):
                print(f"\nSpark physical plan of the join ({size_label(entry['plan']['events'])}):\n")
                print(run["plan"])
                has = "Exchange" in run["plan"]
                print(f"\nExchange in the join's plan: {'YES' if has else 'no'}")
                verdicts.append(f"Spark join plan without Exchange: {verdict(not has, quick=args.quick)}")
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
