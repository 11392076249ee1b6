"""Analyse audio files in worker processes and save each result the moment it arrives.

Used by ``tastemaker scan`` and by the ``catalog`` consumer. Why processes, and why this way:

- Analysis is CPU-bound Python and NumPy; processes use every core, threads would share one GIL.
- A decoder that crashes on a hostile file (FFmpeg, libsndfile) takes down a worker, not the scan or
  the server. The pool is rebuilt, the files that were in flight are retried one at a time, and a
  file that kills its worker again is recorded as ``crashed``.
- Workers come from a fork server that has preloaded ``scan_worker`` only: forking the caller
  instead would copy its threads' locks (the server's SQLite writer, uvicorn) and its whole heap.
- At most ``2 × workers`` files are in flight, so memory stays bounded and a ``kill -9`` loses only
  those: each result is saved, then its ``LibraryFile`` row is written ("the outputs exist, then
  mark it done"), so a re-run redoes exactly the files that were not marked.
"""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from threadpoolctl import threadpool_limits

from tastemaker.audio import model
from tastemaker.audio.model import AudioResult
from tastemaker.audio.records import save_result
from tastemaker.catalog import scan_worker
from tastemaker.catalog.scan_worker import Failure
from tastemaker.storage.models import LibraryFile
from tastemaker.storage.store import Store

IN_FLIGHT_PER_WORKER = 2  # one running, one queued: no worker waits for the parent to hand it work


@dataclass(frozen=True)
class Job:
    """One file to analyse. ``key`` names it in ``library_files`` (its path, or the URL it came from)."""

    path: str
    key: str
    track_id: str
    size: int
    mtime_ns: int
    suspect: bool = False
    """It was in flight when a worker died: it runs alone now, so a second death convicts it."""


Outcome = AudioResult | Failure


def default_workers(jobs: int) -> int:
    """``jobs``, or one per CPU this process may run on when ``jobs`` is 0."""
    if jobs > 0:
        return jobs
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def analyse(
    jobs: Iterable[Job], *, workers: int, with_analysis: bool, max_duration_s: float, nice: int = 0
) -> Generator[tuple[Job, Outcome], None, None]:
    """Each job with its outcome, in completion order; ``jobs`` is pulled lazily as slots free up.

    ``nice`` lowers the workers' CPU priority (the catalog consumer uses it so the API keeps its share).
    """
    source = iter(jobs)
    suspects: deque[Job] = deque()
    in_flight: dict[Future[Outcome], Job] = {}
    pool = _new_pool(workers, nice)
    try:
        while True:
            isolating = bool(suspects) or any(j.suspect for j in in_flight.values())
            limit = 1 if isolating else workers * IN_FLIGHT_PER_WORKER
            while len(in_flight) < limit and (job := _next(suspects, source, alone=not in_flight)):
                try:
                    future = pool.submit(scan_worker.analyse_file, job.path, with_analysis, max_duration_s)
                except BrokenProcessPool:
                    # A worker died since the last wait: this job never ran, so it goes back unsuspected;
                    # the wait below collects the failed futures and replaces the pool.
                    source = itertools.chain([job], source)
                    break
                in_flight[future] = job
            if not in_flight:
                if pool_is_broken(pool):
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = _new_pool(workers, nice)
                    continue
                return
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                job = in_flight.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    broken = True
                    if not job.suspect:
                        suspects.append(replace(job, suspect=True))
                        continue
                    outcome = ("crashed", "the analysis process died on this file, twice")
                except Exception as exc:  # e.g. a result that could not be sent back
                    outcome = ("internal", f"{type(exc).__name__}: {exc}")
                yield job, outcome
            if broken:
                suspects.extend(replace(job, suspect=True) for job in in_flight.values())
                in_flight.clear()
                pool.shutdown(wait=True, cancel_futures=True)
                pool = _new_pool(workers, nice)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def pool_is_broken(pool: ProcessPoolExecutor) -> bool:
    """Whether submitting would raise BrokenProcessPool (probed without submitting real work)."""
    try:
        pool.submit(int).cancel()
    except BrokenProcessPool:
        return True
    return False


def _next(suspects: deque[Job], source: Iterator[Job], *, alone: bool) -> Job | None:
    """The next job: suspects first, and only into an empty pool, so each one runs alone."""
    if suspects:
        return suspects.popleft() if alone else None
    return next(source, None)


def _new_pool(workers: int, nice: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([scan_worker.__name__])
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(nice,)
    )


def _start_worker(nice: int) -> None:
    """Ctrl-C is the parent's to handle (it stops the pool); workers would each print a traceback.

    A worker also leaves as soon as its parent is gone: after a ``kill -9`` of the scan nothing else
    would stop it, because it holds both ends of its task queue and so never sees end-of-file there.

    Each worker uses one BLAS thread: the pool already runs one worker per core, and OpenBLAS's own
    threads would only compete with the other workers (measured on a 2-core VM: the analysis of a
    30 s clip takes 51 ms with 2 BLAS threads and 55 ms with 1, but 101 ms of CPU against 55).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threadpool_limits(1, "blas")
    if nice:
        os.nice(nice)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), name="parent-watch", daemon=True).start()


def _exit_with(parent_sentinel: int) -> None:
    multiprocessing.connection.wait([parent_sentinel])
    os._exit(1)


def save_outcome(store: Store, job: Job, outcome: Outcome) -> LibraryFile:
    """Store a result, then the ``LibraryFile`` row that marks the file done; returns that row."""
    error = None
    if isinstance(outcome, AudioResult):
        save_result(store, job.track_id, outcome)
    else:
        error = f"{outcome[0]}: {outcome[1]}"
    row = LibraryFile(
        path=job.key,
        size=job.size,
        mtime_ns=job.mtime_ns,
        track_id=job.track_id,
        algorithm_version=model.ALGORITHM_VERSION,  # looked up now, not at import: tests change it
        error=error,
        scanned_at=datetime.now(UTC),
    )
    store.put_library_files([row])
    return row
