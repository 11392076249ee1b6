"""Import lyrics into the catalog: from ``.lrc``/``.txt`` files beside scanned audio, or from a CSV.

A lyrics file belongs to the track of the audio file with the same stem in the same folder, as the
last library scan recorded it (``LibraryFile.track_id``, keyed by the resolved path). A CSV row names
its track by id, or by artist and title through the id rule every event uses. Songs are analysed in
batches of ``CHUNK`` (one embedding call each); re-running stores the same labels again (idempotent).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from tastemaker.errors import ConfigError
from tastemaker.events.identity import track_id_for
from tastemaker.nlp.lyrics import analyze_many, store_analysis
from tastemaker.nlp.lyrics_files import audio_beside, find_lyrics_files, read_lyrics
from tastemaker.storage.store import Store

CHUNK = 64
COLUMN_SETS = (("track_id", "lyrics"), ("artist", "title", "lyrics"))


@dataclass
class ImportReport:
    matched: int = 0
    """Songs whose analysis was stored."""
    unmatched: list[str] = field(default_factory=list)
    """Files or rows with no track in the catalog."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(file or row, why)."""

    def add(self, other: ImportReport) -> None:
        self.matched += other.matched
        self.unmatched += other.unmatched
        self.failed += other.failed

    def summary(self) -> str:
        lines = [f"{self.matched} matched, {len(self.unmatched)} unmatched, {len(self.failed)} failed"]
        lines += [f"  unmatched: {what}" for what in self.unmatched[:20]]
        if len(self.unmatched) > 20:
            lines.append(f"  … and {len(self.unmatched) - 20} more unmatched")
        lines += [f"  failed: {what}: {why}" for what, why in self.failed]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "unmatched": self.unmatched,
            "failed": [{"what": what, "error": why} for what, why in self.failed],
        }


@dataclass(frozen=True)
class Song:
    what: str
    """The file or CSV row it came from, for the report."""
    track_id: str
    lyrics: str


def _store_all(
    store: Store, items: Iterable[list[Song]], report: ImportReport, *, total: int, progress: bool
) -> None:
    """Analyse and store the songs of each source item (a file or a row: none when it was unmatched or
    failed, two for a lyrics file beside ``Song.flac`` and ``Song.mp3``); the bar counts items."""
    with tqdm(total=total, desc="lyrics", unit=" items", file=sys.stderr, disable=not progress) as bar:
        batch: list[Song] = []
        done = 0
        for songs in items:
            batch += songs
            done += 1
            if len(batch) >= CHUNK:
                _store_batch(store, batch, report)
                bar.update(done)
                batch, done = [], 0
        _store_batch(store, batch, report)
        bar.update(done)


def _store_batch(store: Store, batch: Sequence[Song], report: ImportReport) -> None:
    for song, analysis in zip(batch, analyze_many([song.lyrics for song in batch]), strict=True):
        store_analysis(store, song.track_id, analysis)
        report.matched += 1


def _from_files(store: Store, files: Sequence[Path], report: ImportReport) -> Iterator[list[Song]]:
    for path in files:
        track_ids = []
        for audio in audio_beside(path):
            row = store.get_library_file(str(audio))
            if row is not None:
                track_ids.append(row.track_id)
        if not track_ids:
            report.unmatched.append(str(path))
            yield []
            continue
        try:
            lyrics = read_lyrics(path)
        except OSError as exc:
            report.failed.append((str(path), exc.strerror or str(exc)))
            yield []
            continue
        if not lyrics:
            report.failed.append((str(path), "no lyrics in the file"))
            yield []
            continue
        yield [Song(str(path), track_id, lyrics) for track_id in dict.fromkeys(track_ids)]


def import_files(store: Store, roots: Sequence[Path], *, progress: bool = True) -> ImportReport:
    """Lyrics files under ``roots`` onto the tracks of the scanned audio files beside them."""
    report = ImportReport()
    files = find_lyrics_files(list(roots))
    _store_all(store, _from_files(store, files, report), report, total=len(files), progress=progress)
    return report


def csv_columns(header: Sequence[str], wanted: Sequence[str] | None) -> tuple[str, ...]:
    """The CSV columns to read: ``wanted`` (track id and lyrics, or artist, title and lyrics), or the
    header's own ``track_id,lyrics`` / ``artist,title,lyrics``."""
    if wanted is not None:
        if len(wanted) not in (2, 3):
            msg = f"--columns names {len(wanted)} columns: give track_id,lyrics or artist,title,lyrics"
            raise ConfigError(msg)
        missing = [name for name in wanted if name not in header]
        if missing:
            msg = f"the CSV has no column {missing[0]!r} (its columns: {', '.join(header)})"
            raise ConfigError(msg)
        return tuple(wanted)
    for names in COLUMN_SETS:
        if all(name in header for name in names):
            return names
    has = ", ".join(header)
    msg = f"the CSV needs columns track_id,lyrics or artist,title,lyrics, or --columns (it has: {has})"
    raise ConfigError(msg)


def _from_rows(store: Store, rows: Iterable[tuple[int, dict[str, str]]], columns: Sequence[str],
               report: ImportReport) -> Iterator[list[Song]]:  # fmt: skip
    for number, row in rows:
        what = f"row {number}"
        values = [(row.get(name) or "").strip() for name in columns]
        if not all(values[:-1]):
            report.failed.append((what, f"empty {' or '.join(columns[:-1])}"))
            yield []
            continue
        if len(values) == 2:
            track_id, lyrics = values
        else:
            track_id, lyrics = track_id_for(artist_name=values[0], track_name=values[1]), values[2]
        if store.get_track(track_id) is None:
            report.unmatched.append(f"{what} ({' - '.join(values[:-1])})")
            yield []
            continue
        if not lyrics:
            report.failed.append((what, "empty lyrics"))
            yield []
            continue
        yield [Song(what, track_id, lyrics)]


def import_csv(
    store: Store, path: Path, *, columns: Sequence[str] | None = None, progress: bool = True
) -> ImportReport:
    """Lyrics from a CSV with a header row; row numbers in the report count the header as row 1."""
    report = ImportReport()
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as file:
        csv.field_size_limit(2**24)  # whole songs in one field
        reader = csv.DictReader(file)
        chosen = csv_columns(reader.fieldnames or [], columns)
        rows = list(enumerate(reader, start=2))
    _store_all(store, _from_rows(store, rows, chosen, report), report, total=len(rows), progress=progress)
    return report
