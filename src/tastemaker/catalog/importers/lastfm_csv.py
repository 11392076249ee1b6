"""Import Last.fm scrobbles saved as CSV by the common export tools, as ``play`` events.

Last.fm itself offers no export, so people use one of two tools, told apart by the first row:

- lastfm-to-csv (benjaminbenben): no header, ``artist,album,track,date`` with the date in UTC like
  ``31 Jan 2021 18:05`` (minute precision).
- lastfm.ghan.nl / "Last.fm export": a header ``uts,utc_time,artist,artist_mbid,album,album_mbid,
  track,track_mbid``; ``uts`` is Unix seconds. Columns are found by name, so their order may vary.

Mapping choices:

- The scrobble time is when playback *started* (Last.fm's ``track.scrobble`` takes "the time the track
  started playing"), so it is ``ts`` as is.
- Last.fm only accepts a scrobble after half the track or 4 minutes, so every row is a finished
  ``play``, never a ``skip``. The exports hold no duration, so ``ms_played`` is ``FULL_LISTEN_MS`` with
  ``extra.ms_played_assumed`` (as for every listen whose length is unknown).
- MBIDs are kept (``recording_mbid`` from ``track_mbid``, ``release_mbid`` from ``album_mbid``,
  ``artist_mbids`` from ``artist_mbid``).

The event id hashes (user, scrobble time, artist, track), so re-importing a file adds nothing. The two
tools stamp times with different precision, so a scrobble exported by both gets two ids: import one
tool's files only.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from tastemaker.catalog.importers.report import ImportFailed, ImportProblem, ImportReport
from tastemaker.catalog.importers.runner import ImportItem, import_events
from tastemaker.catalog.importers.sources import SourceFile, find_files
from tastemaker.errors import InvalidEvent
from tastemaker.events.log import EventLog
from tastemaker.events.schema import FULL_LISTEN_MS
from tastemaker.events.validate import parse_event

EXPECTED = "a CSV of scrobbles: artist,album,track,date (lastfm-to-csv) or a uts,...,track_mbid header"
_NO_HEADER = ("artist", "album", "track", "date")
_COLUMNS = frozenset(
    {"uts", "utc_time", "artist", "artist_mbid", "album", "album_mbid", "track", "track_mbid"}
)
_DATE_FORMAT = "%d %b %Y %H:%M"


def import_lastfm_csv(
    path: Path | str,
    *,
    user: str,
    log: EventLog,
    progress: bool = True,
    now: datetime | None = None,
    batch_size: int = 1000,
) -> ImportReport:
    """Import Last.fm scrobble CSV files (one file, a folder or a zip of them) as ``user``'s plays."""
    items = iter_lastfm_csv_events(Path(path).expanduser(), user=user, now=now or datetime.now(UTC))
    return import_events(items, log, source="lastfm", batch_size=batch_size, progress=progress)


def iter_lastfm_csv_events(path: Path, *, user: str, now: datetime) -> Iterator[ImportItem]:
    """An event or an ``ImportProblem`` per CSV row under ``path``; the path is checked now."""
    if not user:
        msg = "user must not be empty: Last.fm CSV exports do not say whose scrobbles they are"
        raise ImportFailed(msg)
    files = find_files(
        path, accept=lambda name: name.lower().endswith((".csv", ".csv.gz")), what="CSV", expected=EXPECTED
    )
    return (item for source in files for item in _rows(source, user=user, now=now))


def _rows(source: SourceFile, *, user: str, now: datetime) -> Iterator[ImportItem]:
    try:
        text = source.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"{source.label}: not UTF-8 text (byte {exc.start}); expected {EXPECTED}"
        raise ImportFailed(msg) from None
    reader = csv.reader(io.StringIO(text, newline=""))  # newline="": names may hold any character
    columns: tuple[str, ...] | None = None
    while True:
        lineno = reader.line_num + 1
        where = f"{source.label}:{lineno}"
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ImportProblem("invalid", where, f"not a CSV row: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if columns is None:
            columns = _header(row)
            if columns is not None:
                continue
            columns = _NO_HEADER
        yield _convert(row, columns, user=user, now=now, where=where)


def _header(row: list[str]) -> tuple[str, ...] | None:
    """The column names when the first row is a header, else None (lastfm-to-csv writes none)."""
    names = tuple(cell.strip().lower() for cell in row)
    if {"artist", "track"} <= set(names) and set(names) <= _COLUMNS | set(_NO_HEADER):
        return names
    return None


def _convert(row: list[str], columns: tuple[str, ...], *, user: str, now: datetime, where: str) -> ImportItem:
    if len(row) != len(columns):
        msg = f"{len(row)} columns, expected {len(columns)} ({','.join(columns)})"
        return ImportProblem("invalid", where, msg)
    fields = {name: value.strip() for name, value in zip(columns, row, strict=True)}
    try:
        played_at = _played_at(fields)
    except ValueError as exc:
        return ImportProblem("invalid", where, str(exc))
    raw = {
        "type": "play",
        "ts": played_at,
        "event_id": _event_id(user, played_at, fields.get("artist", ""), fields.get("track", "")),
        "track_name": fields.get("track"),
        "artist_name": fields.get("artist"),
        "album_name": fields.get("album"),
        "ms_played": FULL_LISTEN_MS,
        "recording_mbid": fields.get("track_mbid"),
        "release_mbid": fields.get("album_mbid"),
        "artist_mbids": [fields["artist_mbid"]] if fields.get("artist_mbid") else None,
        "extra": {"imported_from": "lastfm", "ms_played_assumed": True},
    }
    try:
        return parse_event(
            {key: value for key, value in raw.items() if value is not None and value != ""},
            now=now,
            default_user=user,
        )
    except InvalidEvent as exc:
        return ImportProblem("invalid", where, exc.msg)


def _played_at(fields: dict[str, str]) -> datetime:
    """``uts`` (Unix seconds) when the file has it, else ``date`` (``31 Jan 2021 18:05``, UTC; a comma
    after the year, as in ``utc_time``, is accepted)."""
    if "uts" in fields:
        try:
            return datetime.fromtimestamp(int(fields["uts"]), tz=UTC)
        except (ValueError, OverflowError, OSError):
            msg = f"uts = {fields['uts']!r}: expected Unix time in whole seconds"
            raise ValueError(msg) from None
    try:
        return datetime.strptime(fields.get("date", "").replace(",", ""), _DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        msg = f"date = {fields.get('date', '')!r}: expected a date like '31 Jan 2021 18:05'"
        raise ValueError(msg) from None


def _event_id(user: str, played_at: datetime, artist: str, track: str) -> str:
    """Stable per scrobble: the same row of the same export always gets the same id."""
    key = "\x1f".join((user, played_at.isoformat(), artist, track))
    return "lfm:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
