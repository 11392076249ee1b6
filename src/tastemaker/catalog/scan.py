"""``tastemaker scan``: a music library into the catalog, with audio features for every file.

For each audio file under the given folders: read its tags, upsert its track, artist and album, then
analyse its audio in a process pool (``catalog/scan_pool.py``) and store the result. Incremental and
resumable: a ``LibraryFile`` row per file says what the last scan saw (size, mtime, algorithm
version), so a re-run skips unchanged files and redoes only what was new, changed, analysed by an
older algorithm, or in flight when a scan was killed.

Track ids come from ``events.identity.track_id_for(artist, title)``, the rule every event uses, so a
scrobble of a song in the library lands on the library's track (and its features).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

from tqdm import tqdm

from tastemaker.audio.model import AudioResult
from tastemaker.catalog.scan_files import FoundFile, is_unchanged, walk
from tastemaker.catalog.scan_pool import Job, analyse, default_workers, save_outcome
from tastemaker.catalog.scan_report import ScanReport
from tastemaker.catalog.scan_tags import FileTags, read_tags
from tastemaker.events.identity import album_id_for, artist_id_for, track_id_for
from tastemaker.storage.models import Album, Artist, LibraryFile, Track
from tastemaker.storage.store import Store

CATALOG_CHUNK = 64  # files whose rows are written in one transaction, just ahead of their analysis


def catalog_rows(path: Path, tags: FileTags) -> tuple[Track, Artist, Album | None]:
    """The catalog rows one file contributes. An album is keyed by its album artist when tagged, so a
    compilation stays one album instead of one per track artist."""
    artist_id = artist_id_for(tags.artist)
    album: Album | None = None
    if tags.album:
        album_artist = tags.album_artist or tags.artist
        album = Album(
            album_id=album_id_for(artist_name=album_artist, album_name=tags.album),
            name=tags.album,
            artist_id=artist_id_for(album_artist),
            artist_name=album_artist,
            release_date=tags.date,
        )
    track = Track(
        track_id=track_id_for(artist_name=tags.artist, track_name=tags.title),
        name=tags.title,
        artist_id=artist_id,
        artist_name=tags.artist,
        album_id=album.album_id if album else None,
        album_name=tags.album,
        duration_ms=tags.duration_ms,
        release_date=tags.date,
        genres=tags.genres,
        isrc=tags.isrc,
        recording_mbid=tags.recording_mbid,
        audio_url=str(path),
    )
    return (
        track,
        Artist(artist_id=artist_id, name=tags.artist, genres=tags.genres, mbid=tags.artist_mbid),
        album,
    )


def scan(
    store: Store,
    roots: Sequence[Path],
    *,
    jobs: int = 0,
    force: bool = False,
    analysis: bool = True,
    max_duration_s: float = 1800.0,
    progress: bool = True,
) -> ScanReport:
    """Scan ``roots`` (folders or single files) into ``store``; ``jobs`` worker processes (0 = one per
    CPU). ``force`` redoes unchanged files too; ``analysis=False`` only reads tags."""
    started = time.monotonic()
    report = ScanReport(workers=default_workers(jobs) if analysis else 0)
    todo = _select(store, walk(roots), report, force=force, analysis=analysis)
    with tqdm(total=len(todo), desc="scan", unit=" files", file=sys.stderr, disable=not progress) as bar:
        catalogued = _catalogue(store, todo, report)
        if analysis:
            outcomes = analyse(
                catalogued, workers=report.workers, with_analysis=True, max_duration_s=max_duration_s
            )
            with contextlib.closing(outcomes):  # on Ctrl-C or a store error too: stop the pool now
                for job, outcome in outcomes:
                    _record(store, job, outcome, report)
                    bar.update()
                    bar.set_postfix(failed=report.failed, refresh=False)
        else:
            while marked := [_catalogued_only(job) for job in islice(catalogued, CATALOG_CHUNK)]:
                store.put_library_files(marked)
                bar.update(len(marked))
    report.wall_s = time.monotonic() - started
    return report


def _select(
    store: Store, found: Iterable[FoundFile], report: ScanReport, *, force: bool, analysis: bool
) -> list[FoundFile]:
    """The files this scan must (re)do; counts seen/new/changed/unchanged on the way."""
    todo: list[FoundFile] = []
    for file in found:
        report.seen += 1
        previous = store.get_library_file(str(file.path))
        if not force and is_unchanged(file, previous, analysis=analysis):
            report.unchanged += 1
            continue
        if previous is None:
            report.new += 1
        else:
            report.changed += 1
        todo.append(file)
    return todo


def _catalogue(store: Store, files: Sequence[FoundFile], report: ScanReport) -> Iterator[Job]:
    """Read tags and write catalog rows a chunk at a time, lazily: the pool pulls the next jobs as it
    frees up, so tag reading in this process overlaps analysis in the workers."""
    it = iter(files)
    while chunk := list(islice(it, CATALOG_CHUNK)):
        rows = [catalog_rows(file.path, read_tags(file.path, root=file.root)) for file in chunk]
        store.put_artists(list({artist.artist_id: artist for _, artist, _ in rows}.values()))
        store.put_albums(list({album.album_id: album for _, _, album in rows if album}.values()))
        store.put_tracks([track for track, _, _ in rows])
        report.catalogued += len(rows)
        for file, (track, _, _) in zip(chunk, rows, strict=True):
            key = str(file.path)
            yield Job(path=key, key=key, track_id=track.track_id, size=file.size, mtime_ns=file.mtime_ns)


def _catalogued_only(job: Job) -> LibraryFile:
    """The row of a file scanned with ``--no-analysis``: no algorithm version, so a later scan analyses it."""
    return LibraryFile(path=job.key, size=job.size, mtime_ns=job.mtime_ns, track_id=job.track_id)


def _record(store: Store, job: Job, outcome: AudioResult | tuple[str, str], report: ScanReport) -> None:
    save_outcome(store, job, outcome)
    if isinstance(outcome, AudioResult):
        report.analysed += 1
        report.audio_s += outcome.features.duration_ms / 1000
    else:
        report.add_failure(job.key, *outcome)
