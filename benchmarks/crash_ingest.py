"""kill -9 ``tastemaker serve`` at a random point of a 1 M-event ingest, restart it, finish the ingest,
let the consumers catch up, and check that nothing acknowledged was lost or doubled.

The large version of tests/services/test_crash_serve.py. The generator sends batches of 500 play
events with deterministic event_ids over 4 keep-alive connections; when the server dies, every batch
whose answer did not arrive is sent again to the restarted server (a client retrying, which the
log's idempotency on event_id must absorb). After catch-up the server is stopped and the files are
read directly. PASS needs all of:

- every acknowledged event_id is in the log, exactly once, and the log holds nothing else;
- per user: plays in the Taste Profile == distinct play events in the log == listens stored
  (sum of ``listen_days``).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter, deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._harness import (
    BatchRequests,
    Progress,
    Server,
    admin_token,
    bench_config,
    blast,
    log,
    save_results,
    server_env,
    temp_dir,
)
from tastemaker.events.schema import Play
from tastemaker.platform import Platform
from tastemaker.profiles.profile import decode

BATCH = 500
USERS = 5_000
TRACKS = 20_000
CONCURRENCY = 4
MAX_INGEST_S = 900.0
CATCH_UP_S = 900.0


def crash_requests(port: int, token: str) -> BatchRequests:
    return BatchRequests(port=port, token=token, run="crash", batch_size=BATCH, users=USERS, tracks=TRACKS)


def verify(data_dir: Path, acked: set[str], users: int, run: str) -> dict[str, Any]:
    """Read the log and the store directly (server stopped) and compare them."""
    config = bench_config(data_dir)
    with Platform.open(config) as platform:
        counts: Counter[str] = Counter()
        plays: Counter[str] = Counter()
        group = f"verify-{run}"
        for partition in range(platform.event_log.partitions):
            for _ in range(len(acked) + 1):
                records = platform.event_log.poll(group, 50_000, partitions=[partition]).records
                if not records:
                    break
                for record in records:
                    counts[record.event.event_id] += 1
                    if counts[record.event.event_id] == 1 and isinstance(record.event, Play):
                        plays[record.event.user_id] += 1
        mismatched = []
        for user in (f"u{u}" for u in range(users)):
            data = platform.store.get_profile(user)
            profile_plays = decode(data).plays if data is not None else 0
            listens = sum(n for _, n in platform.store.listen_days(user))
            if not profile_plays == plays[user] == listens:
                mismatched.append(
                    {"user": user, "profile": profile_plays, "log": plays[user], "listens": listens}
                )
    logged = set(counts)
    return {
        "log_events": sum(counts.values()),
        "log_distinct": len(logged),
        "duplicates_in_log": sum(1 for n in counts.values() if n > 1),
        "acked_missing_from_log": len(acked - logged),
        "log_not_acked": len(logged - acked),
        "users_checked": users,
        "users_mismatched": len(mismatched),
        "mismatch_examples": mismatched[:5],
        "profile_plays_total": sum(plays.values()),
    }


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks crash_ingest", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="short smoke version (100k events)")
    parser.add_argument(
        "--events", type=int, help="events to ingest (default 1,000,000; 100,000 with --quick)"
    )
    parser.add_argument(
        "--seed", type=int, help="random seed for the kill point (default: time-based, printed)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    events = args.events or (100_000 if args.quick else 1_000_000)
    events -= events % BATCH
    seed = args.seed if args.seed is not None else int(time.time())
    kill_at = random.Random(seed).randint(events // 10, events * 9 // 10)
    print(
        f"crash_ingest: {events:,} events; kill -9 after {kill_at:,} acknowledged (seed {seed})", flush=True
    )
    results: dict[str, Any] = {"events": events, "seed": seed, "kill_at_acked": kill_at}
    with temp_dir("crash_ingest", keep=args.keep) as work:
        data_dir = work / "data"
        env = server_env(work)
        token = admin_token(data_dir, env)
        server = Server(data_dir, env)
        server.start()
        requests = crash_requests(server.port, token)
        feed = deque(range(events // BATCH))
        progress = Progress()
        killed_at: list[int] = []

        def kill_when_due() -> None:
            if not killed_at and progress.acked >= kill_at:
                killed_at.append(progress.acked)
                server.kill()

        first = blast(requests, feed, port=server.port, concurrency=CONCURRENCY, duration_s=MAX_INGEST_S,
                      progress=progress, keep_ids=True, max_reconnects=0, watcher=kill_when_due)  # fmt: skip
        server.kill()  # already dead unless the feed ran out first
        acked = set(first.accepted_ids)
        unanswered = len(first.failed_batches)
        log(f"killed after {killed_at[0] if killed_at else '-'} acks; {unanswered} batches unanswered")
        results["acked_before_kill"] = len(acked)
        results["unanswered_batches"] = len(first.failed_batches)

        server.start()
        results["in_log_at_restart"] = server.log_end_total()
        durable_unacked = results["in_log_at_restart"] - len(acked)
        log(f"restarted: {durable_unacked} unacknowledged events were durable already; lag {server.lags()}")
        requests = crash_requests(server.port, token)
        resend = deque(sorted(first.failed_batches) + list(feed))
        second = blast(requests, resend, port=server.port, concurrency=CONCURRENCY, duration_s=MAX_INGEST_S,
                       progress=progress, keep_ids=True)  # fmt: skip
        acked |= set(second.accepted_ids)
        log(f"ingest finished: {len(acked):,} events acknowledged; waiting for the consumers")
        t0 = time.monotonic()
        caught_up = server.wait_caught_up(timeout_s=CATCH_UP_S)
        results["consumer_failures"] = server.consumer_failures()
        results["catch_up_s"] = time.monotonic() - t0
        server.stop()
        results["errors"] = dict(first.errors + second.errors)
        results["acked"] = len(acked)
        results["consumers_caught_up"] = caught_up
        log("verifying the log and the store")
        results.update(verify(data_dir, acked, USERS, str(seed)))
    ok = (
        caught_up
        and results["acked"] == events
        and results["log_events"] == events
        and results["duplicates_in_log"] == 0
        and results["acked_missing_from_log"] == 0
        and results["log_not_acked"] == 0
        and results["users_mismatched"] == 0
    )
    results["passed"] = ok
    results["killed_after_acked"] = killed_at[0] if killed_at else 0
    print(f"\n### crash_ingest ({events:,} events, kill -9 after {results['killed_after_acked']:,} acks)\n")
    shown_keys = (
        "acked_before_kill", "unanswered_batches", "in_log_at_restart", "acked", "log_events", "log_distinct",
        "duplicates_in_log", "acked_missing_from_log", "log_not_acked", "users_checked", "users_mismatched",
        "profile_plays_total", "consumers_caught_up", "catch_up_s", "consumer_failures",
    )  # fmt: skip
    for key in shown_keys:
        value = results[key]
        shown = (
            value
            if isinstance(value, bool)
            else f"{value:,.1f}"
            if isinstance(value, float)
            else f"{value:,}"
        )
        print(f"- {key}: {shown}")
    if results["users_mismatched"]:
        print(f"- mismatches (first 5): {results['mismatch_examples']}")
    print(f"- transport errors seen by the client: {results['errors']}")
    print(f"\ncrash_ingest: {'PASS' if ok else 'FAIL'}")
    print(f"results: {save_results('crash_ingest' + ('-quick' if args.quick else ''), results)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
