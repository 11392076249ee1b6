"""The profiler consumer alone, draining a pre-filled log: events/s.

Target (issue): the profiler keeps up with at least 50,000 events/s.

Set-up (not timed): a log pre-filled by direct ``append`` with play events spread over 20k users and
50k tracks, and a catalog of those 50k tracks (5k artists, two genres each) in the store, so every
event's track, artist and genres are looked up. Then, each on a freshly opened Platform (cold track
cache) and its own consumer group on the same log:

1. a no-op consumer that only polls and commits: the log-read ceiling;
2. ``platform.runner("profiler")``: the measurement;
3. ``platform.runner("archiver")``: the other consumer, for comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from benchmarks._harness import (
    CpuWindow,
    Row,
    bench_config,
    fill_catalog,
    log,
    play_events,
    print_table,
    ratio,
    save_results,
    settle,
    temp_dir,
    verdict,
)
from tastemaker.config import Config
from tastemaker.events.log import Record
from tastemaker.platform import Platform
from tastemaker.profiles.profile import decode
from tastemaker.services.runner import ConsumerRunner

TARGET_EVENTS_S = 50_000
APPEND_BATCH = 10_000
MAX_DRAIN_S = 900.0


class NoOp:
    """Polls and commits, handles nothing: what reading the log costs."""

    name = "noop"

    def handle(self, records: Sequence[Record]) -> None:
        return None


def prefill(config: Config, *, events: int, users: int, tracks: int) -> None:
    with Platform.open(config) as platform:
        fill_catalog(platform.store, tracks=tracks, artists=max(1, tracks // 10))
        now = datetime.now(UTC)
        for start in range(0, events, APPEND_BATCH):
            count = min(APPEND_BATCH, events - start)
            platform.event_log.append(
                play_events(start, count, run="prefill", users=users, tracks=tracks, now=now)
            )


def timed_drain(runner: ConsumerRunner, events: int) -> dict[str, float]:
    """``drain()``, with a count and a time bound: poll → handle → commit until caught up."""
    handled = batches = 0
    cpu0, t0 = time.process_time(), time.perf_counter()
    deadline = time.monotonic() + MAX_DRAIN_S
    for _ in range(events + 1):
        n = runner.run_once()
        if not n or time.monotonic() > deadline:
            break
        handled += n
        batches += 1
    seconds = time.perf_counter() - t0
    return {
        "events": handled,
        "batches": batches,
        "seconds": seconds,
        "events_s": handled / seconds,
        "cpu_cores": (time.process_time() - cpu0) / seconds,
    }


def measure(config: Config, name: str, events: int) -> dict[str, float]:
    settle()
    with Platform.open(config) as platform:
        if name == "noop":
            runner = ConsumerRunner(platform.event_log, NoOp(), batch_size=int(config["consumer_batch_size"]))
        else:
            runner = platform.runner(name)
        with CpuWindow() as window:
            result = timed_drain(runner, events)
        result["other_cores"] = window.other_cores
        log(f"{name}: {result['events']:,} events in {result['seconds']:.1f} s, {result['events_s']:,.0f}/s")
        return result


def check_profiles(config: Config, users: int) -> int:
    """Sum of ``plays`` over every profile (should equal the events handled)."""
    with Platform.open(config) as platform:
        stored = platform.store.get_profiles(f"u{u}" for u in range(users))
        return sum(decode(data).plays for data in stored.values())


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks profiler", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="short smoke version (100k events)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    events, users, tracks = (100_000, 2_000, 5_000) if args.quick else (1_000_000, 20_000, 50_000)
    results: dict[str, Any] = {"quick": args.quick, "events": events, "users": users, "tracks": tracks}
    with temp_dir("profiler", keep=args.keep) as work:
        config = bench_config(work / "data")
        log(f"pre-filling the log with {events:,} plays ({users:,} users, {tracks:,} tracks), untimed")
        t0 = time.perf_counter()
        prefill(config, events=events, users=users, tracks=tracks)
        log(f"pre-filled in {time.perf_counter() - t0:.1f} s")
        for name in ("noop", "profiler", "archiver"):
            results[name] = measure(config, name, events)
        results["profile_plays_total"] = check_profiles(config, users)
    noop, profiler, archiver = results["noop"], results["profiler"], results["archiver"]
    rows = [
        Row("profiler drain, events/s", f">= {TARGET_EVENTS_S:,}", f"{profiler['events_s']:,.0f}",
            f"{noop['events_s']:,.0f} (no-op consumer)", ratio(profiler["events_s"], noop["events_s"])),
        Row("  vs the archiver on the same log", "", f"{profiler['events_s']:,.0f}",
            f"{archiver['events_s']:,.0f} (archiver)", ratio(profiler["events_s"], archiver["events_s"])),
        Row("  events / batches / seconds", "",
            f"{profiler['events']:,.0f} / {profiler['batches']:.0f} / {profiler['seconds']:.1f}"),
        Row("  CPU cores used (profiler / no-op / archiver)", "",
            f"{profiler['cpu_cores']:.2f} / {noop['cpu_cores']:.2f} / {archiver['cpu_cores']:.2f}"),
        Row("  CPU used by other processes on the machine (cores)", "",
            f"{profiler['other_cores']:.2f} / {noop['other_cores']:.2f} / {archiver['other_cores']:.2f}"),
        Row("  sum of profile plays == events", "", f"{results['profile_plays_total']:,} == {events:,}"),
    ]  # fmt: skip
    print_table(f"profiler ({events:,} plays, {users:,} users, {tracks:,} tracks in the catalog)", rows)
    met = profiler["events_s"] >= TARGET_EVENTS_S
    print(f"target {TARGET_EVENTS_S:,} events/s: {verdict(met, quick=args.quick)}")
    print(f"results: {save_results('profiler' + ('-quick' if args.quick else ''), results)}")
    return 0 if results["profile_plays_total"] == events else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
