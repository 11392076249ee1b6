"""Import a Maloja export (``maloja export``, or the web UI's backup) as ``play`` events.

Maloja writes ``maloja_export_YYYY_MM_DD_HH_MM_SS.json``: ``{"scrobbles": [scrobble, ...]}`` where a
scrobble is ``{"time": Unix seconds, "track": {"artists": [...], "title", "album": {"albumtitle",
"artists"} or null, "length": seconds or null}, "duration": seconds played or null, "origin"}``.
Exports from before Maloja 3.1 name the album ``{"name": ...}``; both are read.

Mapping choices:

- ``time`` is ``ts`` as is. Maloja stores when the scrobble was made; scrobblers that follow the
  Last.fm rule send it at the start of playback or after half the track, and the export does not
  say which, so no correction is guessed.
- Maloja credits several artists per track. The first is the track's ``artist_name`` (it resolves
  the ``track_id`` the way a scrobble of that track elsewhere does); the full list stays in
  ``extra.artists`` when there is more than one.
- ``length`` is ``duration_ms``. ``ms_played`` is ``duration`` (what was played) when known, else
  the track's length (a scrobble is a finished play), else 0, meaning "unknown". Never a ``skip``.
- ``origin`` (which client scrobbled, e.g. ``client:navidrome``) is kept in ``extra``.

The event id hashes (user, time, artists, title), so re-importing an export adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tastemaker.catalog.importers.report import ImportFailed, ImportProblem, ImportReport
from tastemaker.catalog.importers.runner import ImportItem, import_events
from tastemaker.catalog.importers.sources import SourceFile, find_files, load_json
from tastemaker.errors import InvalidEvent
from tastemaker.events.log import EventLog
from tastemaker.events.schema import FULL_LISTEN_MS
from tastemaker.events.validate import parse_event

EXPECTED = 'maloja_export_*.json: {"scrobbles": [{"time": ..., "track": {...}}, ...]}'


def import_maloja(
    path: Path | str,
    *,
    user: str,
    log: EventLog,
    progress: bool = True,
    now: datetime | None = None,
    batch_size: int = 1000,
) -> ImportReport:
    """Import a Maloja export (the file, or a folder or zip holding ``maloja_export_*.json``)."""
    items = iter_maloja_events(Path(path).expanduser(), user=user, now=now or datetime.now(UTC))
    return import_events(items, log, source="maloja", batch_size=batch_size, progress=progress)


def iter_maloja_events(path: Path, *, user: str, now: datetime) -> Iterator[ImportItem]:
    """An event or an ``ImportProblem`` per scrobble under ``path``; the path is checked now."""
    if not user:
        msg = "user must not be empty: a Maloja export does not say whose scrobbles it holds"
        raise ImportFailed(msg)
    files = find_files(
        path,
        accept=lambda name: name.lower().startswith("maloja_export") and name.lower().endswith(".json"),
        what="Maloja export",
        expected=EXPECTED,
    )
    return (item for source in files for item in _scrobbles(source, user=user, now=now))


def _scrobbles(source: SourceFile, *, user: str, now: datetime) -> Iterator[ImportItem]:
    document = load_json(source.read_bytes(), source.label)
    scrobbles = document.get("scrobbles") if isinstance(document, dict) else None
    if not isinstance(scrobbles, list):
        msg = f"{source.label}: not a Maloja export; expected {EXPECTED}"
        raise ImportFailed(msg)
    for index, scrobble in enumerate(scrobbles):
        yield _convert(scrobble, user=user, now=now, where=f"{source.label}[{index}]")


def _convert(scrobble: Any, *, user: str, now: datetime, where: str) -> ImportItem:
    if not isinstance(scrobble, dict):
        return ImportProblem("invalid", where, f"expected a JSON object, got {type(scrobble).__name__}")
    track = scrobble.get("track")
    if not isinstance(track, dict):
        return ImportProblem("invalid", where, "track is required and must be an object")
    time = scrobble.get("time")
    if not isinstance(time, int | float) or isinstance(time, bool):
        return ImportProblem("invalid", where, f"time = {time!r}: expected Unix time in seconds")
    artists = track.get("artists")
    if not isinstance(artists, list) or not artists or not all(isinstance(a, str) and a for a in artists):
        return ImportProblem("invalid", where, f"track.artists = {artists!r}: expected a list of names")
    try:
        return parse_event(_raw(scrobble, track, artists, user=user, time=time), now=now, default_user=user)
    except InvalidEvent as exc:
        return ImportProblem("invalid", where, exc.msg)
    except (ValueError, OverflowError) as exc:  # NaN or infinite numbers (the stdlib parser accepts them)
        return ImportProblem("invalid", where, f"not a finite number: {exc}")


def _raw(
    scrobble: dict[str, Any], track: dict[str, Any], artists: list[str], *, user: str, time: float
) -> dict[str, Any]:
    album: dict[str, Any] = track["album"] if isinstance(track.get("album"), dict) else {}
    length_ms = _ms(track.get("length"))
    played_ms = _ms(scrobble.get("duration"))
    extra = {
        "imported_from": "maloja",
        "origin": scrobble.get("origin"),
        "artists": artists if len(artists) > 1 else None,
        "album_artists": album.get("artists") or None,
        "ms_played_assumed": True if played_ms is None and not length_ms else None,
    }
    raw = {
        "type": "play",
        "ts": time,
        "event_id": _event_id(user, time, artists, track.get("title")),
        "track_name": track.get("title"),
        "artist_name": artists[0],
        "album_name": album.get("albumtitle") or album.get("name"),
        "duration_ms": length_ms,
        "ms_played": played_ms if played_ms is not None else (length_ms or FULL_LISTEN_MS),
        "extra": {key: value for key, value in extra.items() if value is not None},
    }
    return {key: value for key, value in raw.items() if value is not None and value != ""}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ms(seconds: Any) -> int | None:
    """Seconds (Maloja's unit) as milliseconds; anything that is not a number is unknown."""
    return round(seconds * 1000) if _is_number(seconds) else None


def _event_id(user: str, time: float, artists: list[str], title: Any) -> str:
    """Stable per scrobble: exports give ``time`` as 1700000000 or 1700000000.0 alike."""
    when = str(int(time)) if float(time).is_integer() else repr(float(time))
    key = "\x1f".join((user, when, "\x1e".join(artists), str(title)))
    return "mj:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
