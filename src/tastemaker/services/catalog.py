"""The catalog consumer: ``track_added`` events into the catalog, and audio features for every track
whose event says where its audio is (``audio_url``: an absolute path, a ``file://`` or an ``http(s)://`` URL,
or a ``synth:`` URL that names synthesized demo audio: its first 30 s are rendered and analysed in the
worker, in memory, with no file at all).

Analysis runs in a small process pool (``catalog/scan_pool.py``), not inline in this thread, because
this consumer usually runs inside the API server: inline DSP would hold the interpreter lock that
the event loop needs, and a decoder crashing on a hostile file would take the server down with it.
The pool lives for one batch (workers fork from the already-warm fork server in milliseconds), so an
idle server holds no analysis processes, and its workers run at a lower CPU priority (``nice``) so
that ingestion wins when cores are short.

Redelivery is cheap: a local file whose ``LibraryFile`` row shows the same track, size, mtime and
algorithm version is not analysed again, nor is a URL that was analysed before. Problems (a bad URL,
a missing file, a failed download, audio that does not decode) are logged and recorded as the
``LibraryFile``'s error and never fail the batch; a Store error does, and the runner redelivers it.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from tastemaker.audio import model
from tastemaker.audio.decode import AudioError
from tastemaker.audio.synth import is_synth_url, parse_synth_url
from tastemaker.catalog.scan_files import FoundFile, is_unchanged
from tastemaker.catalog.scan_pool import Job, analyse, default_workers, save_outcome
from tastemaker.catalog.scan_sources import download, local_path
from tastemaker.events.log import Record
from tastemaker.events.schema import TrackAdded
from tastemaker.services.archiver import track_from_added
from tastemaker.storage.store import Store

log = logging.getLogger(__name__)


class CatalogConsumer:
    name = "catalog"

    def __init__(self, store: Store, *, jobs: int = 0, max_duration_s: float = 1800.0, nice: int = 5) -> None:
        self.store = store
        self.workers = default_workers(jobs)
        self.max_duration_s = max_duration_s
        self.nice = nice

    def handle(self, records: Sequence[Record]) -> None:
        added = {r.event.track_id: r.event for r in records if isinstance(r.event, TrackAdded)}
        if not added:
            return
        self.store.put_tracks([track_from_added(e) for e in added.values()])
        with_audio = [event for event in added.values() if event.audio_url]
        if not with_audio:
            return
        with tempfile.TemporaryDirectory(prefix="tastemaker-catalog-") as downloads:
            outcomes = analyse(
                self._jobs(with_audio, Path(downloads)),
                workers=self.workers,
                with_analysis=True,
                max_duration_s=self.max_duration_s,
                nice=self.nice,
            )
            with contextlib.closing(outcomes):  # a store error stops the pool before the batch is retried
                for job, outcome in outcomes:
                    row = save_outcome(self.store, job, outcome)
                    if job.path != job.key:
                        Path(job.path).unlink(missing_ok=True)  # a finished download
                    if row.error:
                        log.warning("%s: track %s, %s: %s", self.name, job.track_id, job.key, row.error)

    def _jobs(self, events: Sequence[TrackAdded], downloads: Path) -> Iterator[Job]:
        """Jobs for the pool, made as it pulls them, so at most a pool's worth of downloads is on disk."""
        for number, event in enumerate(events):
            try:
                job = self._job(event, downloads, number)
            except AudioError as exc:
                failed = Job(path=exc.path, key=exc.path, track_id=event.track_id, size=0, mtime_ns=0)
                save_outcome(self.store, failed, (exc.kind, exc.detail))
                log.warning("%s: track %s, %s", self.name, event.track_id, exc)
                continue
            if job is not None:
                yield job

    def _job(self, event: TrackAdded, downloads: Path, number: int) -> Job | None:
        """The job for one event, or None when its audio was already analysed for this track."""
        url = event.audio_url or ""
        if is_synth_url(url):
            parse_synth_url(url)  # a bad one is recorded here, like a bad path
            if self._url_done(url, event.track_id):
                return None
            return Job(path=url, key=url, track_id=event.track_id, size=0, mtime_ns=0)
        path = local_path(url)
        if path is None:
            if self._url_done(url, event.track_id):
                return None
            file, size = download(url, downloads, name=str(number))
            return Job(path=str(file), key=url, track_id=event.track_id, size=size, mtime_ns=0)
        try:
            path = path.resolve()
            stat = path.stat()
        except OSError as exc:
            raise AudioError(url, "not_found", f"cannot read {path} ({exc.strerror})") from exc
        found = FoundFile(path=path, root=path.parent, size=stat.st_size, mtime_ns=stat.st_mtime_ns)
        previous = self.store.get_library_file(str(path))
        if (
            previous is not None
            and previous.track_id == event.track_id
            and is_unchanged(found, previous, analysis=True)
        ):
            return None
        return Job(
            path=str(path), key=str(path), track_id=event.track_id, size=found.size, mtime_ns=found.mtime_ns
        )

    def _url_done(self, url: str, track_id: str) -> bool:
        """Whether the audio at ``url`` was analysed for this track, without error, by this algorithm."""
        previous = self.store.get_library_file(url)
        return (
            previous is not None
            and (previous.track_id, previous.error) == (track_id, None)
            and previous.algorithm_version == model.ALGORITHM_VERSION
        )
