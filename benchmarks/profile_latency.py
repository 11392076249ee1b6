"""How soon an ingested event shows in its user's Taste Profile, at a steady ingest rate.

Target (issue): at 5,000 events/s, an event is visible in its user's profile within 200 ms p99.

In-process: a Platform with both consumers running (``start_consumers``, default settings), a catalog
of 50k tracks in the store, and this thread appending a batch every 10 ms (open-loop schedule)
through the API's own path, ``validate_items`` then ``event_log.append``. For each event we record
when ``append`` returned (the moment the API would answer 202) and when the profiler's ``handle``
returned for a batch holding it (the moment its profile was committed in the store: visible). The
profiler is the real one, subclassed only to take that timestamp. The first seconds are a warm-up
and are not counted. Baseline: the same at 500 events/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks._harness import (
    ConsumerFailures,
    CpuWindow,
    Row,
    bench_config,
    fill_catalog,
    latency_summary,
    log,
    play_item,
    print_table,
    ratio,
    save_results,
    settle,
    temp_dir,
    verdict,
)
from tastemaker.catalog.track_cache import TrackCache
from tastemaker.events.ingest import validate_items
from tastemaker.events.log import Record
from tastemaker.platform import Platform, profile_params
from tastemaker.profiles.profile import ProfileParams
from tastemaker.profiles.profiler import Profiler
from tastemaker.services.consumer import Consumer
from tastemaker.storage.store import Store

TARGET_P99_MS = 200.0
TARGET_RATE = 5_000
BASELINE_RATE = 500
INTERVAL_S = 0.010
USERS = 20_000
TRACKS = 50_000
CATCH_UP_S = 60.0


class TimedProfiler(Profiler):
    """The real profiler; notes when ``handle`` returned (profiles committed) for each event_id."""

    def __init__(
        self, store: Store, tracks: TrackCache, params: ProfileParams, visible: dict[str, float]
    ) -> None:
        super().__init__(store, tracks, params)
        self.visible = visible

    def handle(self, records: Sequence[Record]) -> None:
        super().handle(records)
        now = time.monotonic()
        for record in records:
            self.visible.setdefault(record.event.event_id, now)


@dataclass
class TimedPlatform(Platform):
    visible: dict[str, float] = field(default_factory=dict)

    def consumer_factories(self) -> dict[str, Callable[[], Consumer]]:
        factories = super().consumer_factories()
        params = profile_params(self.config)
        factories["profiler"] = lambda: TimedProfiler(self.store, self.tracks, params, self.visible)
        return factories


def append_paced(
    platform: Platform, rate: int, batch: int, seconds: float, acked: dict[str, float], append_ms: list[float]
) -> tuple[float, float, float]:
    """Append ``batch`` events every 10 ms on an open-loop schedule through validate → append; note each
    event's ack time in ``acked``. Returns (start, seconds taken, worst lateness in ms)."""
    tolerance = timedelta(seconds=int(platform.config["future_tolerance_s"]))
    late_ms = 0.0
    t0 = time.monotonic()
    for k in range(int(seconds / INTERVAL_S)):
        due = t0 + k * INTERVAL_S
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        late_ms = max(late_ms, -delay * 1000)
        start = k * batch
        items = [
            play_item(n, event_id=f"lat-{rate}-{n}", users=USERS, tracks=TRACKS)
            for n in range(start, start + batch)
        ]
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # live events: ts is now
        for item in items:
            item["ts"] = stamp
        sent = time.monotonic()
        events, errors = validate_items(
            items, now=datetime.now(UTC), future_tolerance=tolerance, user="root", admin=True
        )
        assert not errors, errors[:3]
        platform.event_log.append(events)
        done = time.monotonic()
        append_ms.append((done - sent) * 1000)
        for event in events:
            acked[event.event_id] = done
    return t0, time.monotonic() - t0, late_ms


def run_rate(work: Path, rate: int, *, seconds: float, warmup_s: float) -> dict[str, Any]:
    batch = max(1, round(rate * INTERVAL_S))
    config = bench_config(work / f"rate-{rate}")
    acked: dict[str, float] = {}
    append_ms: list[float] = []
    platform = TimedPlatform.open(config)
    assert isinstance(platform, TimedPlatform)
    with platform, ConsumerFailures() as failures:
        fill_catalog(platform.store, tracks=TRACKS, artists=TRACKS // 10)
        settle()
        platform.start_consumers()
        with CpuWindow() as window:
            t0, ingest_s, late_ms = append_paced(platform, rate, batch, seconds, acked, append_ms)
        for _ in range(int(CATCH_UP_S / 0.05)):
            if len(platform.visible) >= len(acked):
                break
            time.sleep(0.05)
        visible = dict(platform.visible)
        errors_seen = {name: repr(r.error) for name, r in platform.runners.items() if r.error}
    counted = [
        (visible[event_id] - at) * 1000
        for event_id, at in acked.items()
        if at >= t0 + warmup_s and event_id in visible
    ]
    missing = sum(1 for event_id in acked if event_id not in visible)
    return {
        "rate": rate,
        "batch": batch,
        "achieved_events_s": len(acked) / ingest_s,
        "events": len(acked),
        "counted": len(counted),
        "missing": missing,
        "visible_ms": latency_summary(counted),
        "append_ms": latency_summary(append_ms),
        "appender_max_late_ms": late_ms,
        "consumer_errors": errors_seen,
        "consumer_failures": failures.count,
        "first_failure": failures.first,
        "own_cores": window.own_cores,
        "other_cores": window.other_cores,
    }


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks profile_latency", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="short smoke version (5 s per rate)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    seconds, warmup = (5.0, 1.0) if args.quick else (30.0, 2.0)
    results: dict[str, Any] = {"quick": args.quick, "seconds": seconds, "warmup_s": warmup}
    with temp_dir("profile_latency", keep=args.keep) as work:
        for rate in (BASELINE_RATE, TARGET_RATE):
            log(f"{rate:,} events/s for {seconds:.0f} s ({warmup:.0f} s warm-up not counted)")
            results[str(rate)] = run_rate(work, rate, seconds=seconds, warmup_s=warmup)
            summary = results[str(rate)]["visible_ms"]
            log(f"{rate:,} events/s: visible p50 {summary['p50']:.1f} ms, p99 {summary['p99']:.1f} ms")
    target, base = results[str(TARGET_RATE)], results[str(BASELINE_RATE)]
    rows = [
        Row(f"ingest → visible in profile, p{q} (ms)", f"<= {TARGET_P99_MS:.0f}" if q == "99" else "",
            f"{target['visible_ms']['p' + q]:.1f}",
            f"{base['visible_ms']['p' + q]:.1f} (at {BASELINE_RATE} ev/s)",
            ratio(target["visible_ms"]["p" + q], base["visible_ms"]["p" + q]))
        for q in ("50", "95", "99")
    ]  # fmt: skip
    rows += [
        Row("  max (ms)", "", f"{target['visible_ms']['max']:.1f}", f"{base['visible_ms']['max']:.1f}",
            ratio(target["visible_ms"]["max"], base["visible_ms"]["max"])),
        Row("  achieved events/s (batches of N every 10 ms)", f"{TARGET_RATE:,}",
            f"{target['achieved_events_s']:,.0f} (N={target['batch']})",
            f"{base['achieved_events_s']:,.0f} (N={base['batch']})"),
        Row("  events counted / never visible", "", f"{target['counted']:,} / {target['missing']}",
            f"{base['counted']:,} / {base['missing']}"),
        Row("  consumer failures (each one: a 1 s back-off)", "", f"{target['consumer_failures']}",
            f"{base['consumer_failures']}"),
        Row("  CPU cores: this process / other processes", "",
            f"{target['own_cores']:.2f} / {target['other_cores']:.2f}",
            f"{base['own_cores']:.2f} / {base['other_cores']:.2f}"),
        Row("  validate+append p99 (ms)", "", f"{target['append_ms']['p99']:.2f}",
            f"{base['append_ms']['p99']:.2f}", ratio(target["append_ms"]["p99"], base["append_ms"]["p99"])),
    ]  # fmt: skip
    print_table(f"profile_latency ({seconds:.0f} s per rate, first {warmup:.0f} s not counted)", rows)
    for rate in (BASELINE_RATE, TARGET_RATE):
        if results[str(rate)]["first_failure"]:
            print(f"first consumer failure at {rate} events/s: {results[str(rate)]['first_failure']}")
    met = target["visible_ms"]["p99"] <= TARGET_P99_MS and target["missing"] == 0
    print(
        f"target p99 <= {TARGET_P99_MS:.0f} ms at {TARGET_RATE:,} events/s: {verdict(met, quick=args.quick)}"
    )
    print(f"results: {save_results('profile_latency' + ('-quick' if args.quick else ''), results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
