"""Feed what a reader yields into an EventLog, in batches, and count what happened.

Readers (``spotify.py``, ``listenbrainz.py``) only parse; this module is the one place that writes, so
batching, progress and the "how many were new" arithmetic are the same for every source.

Counting new events: the log is idempotent on ``event_id`` and answers a duplicate with the offset it
already has. So before each batch we read ``end_offsets()``, and an event is new when the offset it
got is at or past its partition's end before the append. Distinct offsets are counted, so a row
repeated within one batch counts once. The import holds no lock: if another writer appends the
very same event id between our two calls, we would count it as ours. That race needs the same event
from two sources within milliseconds, and costs only a miscount, never a duplicate.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TypeAlias

from tqdm import tqdm

from tastemaker.catalog.importers.report import SKIP_KINDS, ImportFailed, ImportProblem, ImportReport
from tastemaker.events.log import EventLog
from tastemaker.events.schema import Event

ImportItem: TypeAlias = Event | ImportProblem

MAX_PROBLEMS = 10


def import_events(
    items: Iterable[ImportItem],
    log: EventLog,
    *,
    source: str,
    batch_size: int = 1000,
    progress: bool = True,
) -> ImportReport:
    """Append every event of ``items`` to ``log`` in batches of ``batch_size``; count the problems.

    Each batch is durable when ``append`` returns, so an interrupted import keeps what it appended,
    and running it again adds only the rest (event ids are stable). When a reader raises
    ``ImportFailed`` (a broken file), the events read before it are appended first.
    """
    if batch_size < 1:
        msg = f"batch_size must be at least 1, got {batch_size}"
        raise ValueError(msg)
    report = ImportReport(source=source)
    batch: list[Event] = []
    with tqdm(items, desc=f"import {source}", unit=" rows", file=sys.stderr, disable=not progress) as bar:
        try:
            for item in bar:
                report.read += 1
                if isinstance(item, ImportProblem):
                    _count_problem(report, item)
                    continue
                batch.append(item)
                if len(batch) >= batch_size:
                    _append(log, batch, report)
                    batch = []
        except ImportFailed:
            # A broken file further on: keep what the files before it gave, then say what broke.
            if batch:
                _append(log, batch, report)
            raise
        if batch:
            _append(log, batch, report)
    return report


def _count_problem(report: ImportReport, problem: ImportProblem) -> None:
    if problem.kind in SKIP_KINDS:
        report.skipped[problem.kind] = report.skipped.get(problem.kind, 0) + 1
        return
    report.invalid += 1
    if len(report.problems) < MAX_PROBLEMS:
        report.problems.append(str(problem))


def _append(log: EventLog, batch: list[Event], report: ImportReport) -> None:
    before = log.end_offsets()
    offsets = log.append(batch)
    report.sent += len(batch)
    report.new += len({o for o in offsets if o.offset >= before.get(o.partition, 0)})
