"""Import a Spotify privacy export ("Download your data") as ``play`` and ``skip`` events.

Two formats exist; files are picked by name (any name when one file is given) and each row's
format is recognised by its fields:

- extended streaming history (``Streaming_History_Audio_*.json``, older ``endsong_*.json``):
  ``ts`` (ISO 8601, UTC), ``ms_played``, ``master_metadata_*`` names, ``spotify_track_uri``,
  ``reason_start``/``reason_end``, ``shuffle``, ``skipped``, ``offline``, ``platform``, ...
- account data (``StreamingHistory*.json``, ``StreamingHistory_music_*.json``):
  ``endTime`` ("YYYY-MM-DD HH:MM", UTC), ``artistName``, ``trackName``, ``msPlayed``.

Spotify stamps a row when playback *ended*; an event's ``ts`` is when it started, so ``ts = end -
ms_played``. Rows go through ``parse_event``, so validation and track ids are exactly the API's.
The event id is a hash of the row (user, format, end time, track, artist, ms played), never of
the import time, so importing the same export twice adds nothing.

Privacy: IP addresses (``ip_addr``, ``ip_addr_decrypted``), the user agent (``user_agent_decrypted``)
and the Spotify ``username`` are dropped; every other non-empty field is kept (``conn_country``
included). Plays in a private session (``incognito_mode``) are skipped unless asked for: the
listener told Spotify they should not shape recommendations, and we honour that
(``include_private=True`` imports them).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tastemaker.catalog.importers.report import ImportFailed, ImportProblem, ImportReport
from tastemaker.catalog.importers.runner import ImportItem, import_events
from tastemaker.catalog.importers.sources import SourceFile, find_files, load_json
from tastemaker.errors import InvalidEvent
from tastemaker.events.log import EventLog
from tastemaker.events.validate import parse_event

EXPECTED = (
    "Streaming_History_Audio_*.json or endsong_*.json (extended streaming history), "
    "or StreamingHistory*.json / StreamingHistory_music_*.json (account data)"
)
_FILE_NAME = re.compile(
    r"^(Streaming_History_Audio_.*|endsong(_\d+)?|StreamingHistory\d*|StreamingHistory_(music|podcast)_\d+)"
    r"\.json(\.gz)?$",
    re.IGNORECASE,
)
_NOT_MUSIC = (
    "episode_name",
    "episode_show_name",
    "spotify_episode_uri",
    "audiobook_title",
    "audiobook_uri",
    "audiobook_chapter_uri",
    "audiobook_chapter_title",
    "podcastName",
    "episodeName",
)
_DROPPED = frozenset({"ip_addr", "ip_addr_decrypted", "user_agent_decrypted", "username"})
_EXTENDED_MAPPED = frozenset(
    {
        "ts",
        "ms_played",
        "master_metadata_track_name",
        "master_metadata_album_artist_name",
        "master_metadata_album_album_name",
        "reason_start",
        "reason_end",
        "shuffle",
        "skipped",
        "offline",
        "platform",
    }
)
_ACCOUNT_MAPPED = frozenset({"endTime", "artistName", "trackName", "msPlayed"})
_SKIP_MESSAGES = {
    "podcast": "a podcast episode or audiobook, not music",
    "no_track": "no track name and artist name (Spotify leaves them empty for some plays)",
    "private_session": "played in a private session (incognito_mode)",
}


class _RowError(ValueError):
    """A row whose shape is wrong before validation can even start (no time, no duration)."""


def is_spotify_history(name: str) -> bool:
    """Whether a file name is one of Spotify's streaming-history files (``.gz`` allowed)."""
    return _FILE_NAME.match(name) is not None


def import_spotify(
    path: Path | str,
    *,
    user: str,
    log: EventLog,
    progress: bool = True,
    include_private: bool = False,
    now: datetime | None = None,
    batch_size: int = 1000,
) -> ImportReport:
    """Import a Spotify export (a history file, the unpacked folder, or the .zip) for ``user``."""
    items = iter_spotify_events(
        Path(path).expanduser(), user=user, now=now or datetime.now(UTC), include_private=include_private
    )
    return import_events(items, log, source="spotify", batch_size=batch_size, progress=progress)


def iter_spotify_events(
    path: Path, *, user: str, now: datetime, include_private: bool = False
) -> Iterator[ImportItem]:
    """An event or an ``ImportProblem`` per streaming-history row under ``path``, in file order.

    The path and the file list are checked now (raising ``ImportFailed``); files are read lazily.
    """
    if not user:
        msg = "a Spotify export does not say whose it is: pass the user (--user NAME)"
        raise ImportFailed(msg)
    files = find_files(path, accept=is_spotify_history, what="Spotify streaming history", expected=EXPECTED)
    return _iter_files(files, user=user, now=now, include_private=include_private)


def _iter_files(
    files: list[SourceFile], *, user: str, now: datetime, include_private: bool
) -> Iterator[ImportItem]:
    for source in files:
        rows = load_json(source.read_bytes(), source.label)
        if not isinstance(rows, list) or not (is_spotify_history(source.name) or _looks_like_history(rows)):
            msg = f"{source.label}: not a Spotify streaming history; expected {EXPECTED}"
            raise ImportFailed(msg)
        for index, row in enumerate(rows):
            where = f"{source.label}[{index}]"
            yield _convert(row, user=user, now=now, include_private=include_private, where=where)


def _looks_like_history(rows: list[Any]) -> bool:
    first = rows[0] if rows else None
    if not isinstance(first, dict):
        return False
    return {"ts", "ms_played"} <= first.keys() or {"endTime", "msPlayed"} <= first.keys()


def _convert(row: Any, *, user: str, now: datetime, include_private: bool, where: str) -> ImportItem:
    if not isinstance(row, dict):
        return ImportProblem("invalid", where, f"expected a JSON object, got {type(row).__name__}")
    if "ts" not in row and "endTime" not in row:
        return ImportProblem("invalid", where, "neither ts nor endTime: not a streaming-history row")
    try:
        if "ts" in row:
            raw = _extended(row, user=user, include_private=include_private)
        else:
            raw = _account(row, user=user)
    except (_RowError, OverflowError) as exc:
        return ImportProblem("invalid", where, str(exc))
    if isinstance(raw, str):
        return ImportProblem(raw, where, _SKIP_MESSAGES[raw])
    try:
        return parse_event(raw, now=now, default_user=user)
    except InvalidEvent as exc:
        return ImportProblem("invalid", where, exc.msg)


def _extended(row: dict[str, Any], *, user: str, include_private: bool) -> dict[str, Any] | str:
    """The raw event for an extended-history row, or the reason it is skipped."""
    if any(row.get(key) for key in _NOT_MUSIC):
        return "podcast"
    track, artist = row.get("master_metadata_track_name"), row.get("master_metadata_album_artist_name")
    if not track or not artist:
        return "no_track"
    if row.get("incognito_mode") is True and not include_private:
        return "private_session"
    end = _end_time(row.get("ts"), field="ts")
    ms_played = _ms_played(row.get("ms_played"), field="ms_played")
    extra = {key: value for key, value in row.items() if _keep_extra(key, value, _EXTENDED_MAPPED)}
    raw = {
        "type": "skip" if row.get("skipped") is True else "play",
        "ts": end - timedelta(milliseconds=ms_played),
        "event_id": _event_id(user, "extended", end, track, artist, ms_played),
        "track_name": track,
        "artist_name": artist,
        "album_name": row.get("master_metadata_album_album_name"),
        "ms_played": ms_played,
        "reason_start": row.get("reason_start"),
        "reason_end": row.get("reason_end"),
        "shuffle": row.get("shuffle"),
        "offline": row.get("offline"),
        "platform": row.get("platform"),
        "extra": {**extra, "imported_from": "spotify"},
    }
    return {key: value for key, value in raw.items() if value is not None and value != ""}


def _account(row: dict[str, Any], *, user: str) -> dict[str, Any] | str:
    """The raw event for an account-data row, or the reason it is skipped."""
    if any(row.get(key) for key in _NOT_MUSIC):
        return "podcast"
    track, artist = row.get("trackName"), row.get("artistName")
    if not track or not artist:
        return "no_track"
    end = _end_time(row.get("endTime"), field="endTime")
    ms_played = _ms_played(row.get("msPlayed"), field="msPlayed")
    extra = {key: value for key, value in row.items() if _keep_extra(key, value, _ACCOUNT_MAPPED)}
    return {
        "type": "play",
        "ts": end - timedelta(milliseconds=ms_played),
        "event_id": _event_id(user, "account", end, track, artist, ms_played),
        "track_name": track,
        "artist_name": artist,
        "ms_played": ms_played,
        "extra": {**extra, "imported_from": "spotify"},
    }


def _keep_extra(key: str, value: Any, mapped: frozenset[str]) -> bool:
    return key not in mapped and key not in _DROPPED and value is not None and value != ""


def _end_time(value: Any, *, field: str) -> datetime:
    """When playback ended, in UTC. ``endTime`` has minutes only; ``ts`` is ISO 8601 with ``Z``."""
    if not isinstance(value, str):
        msg = f"{field} = {value!r}: expected a date and time as text"
        raise _RowError(msg)
    try:
        if field == "endTime":
            return datetime.strptime(f"{value} +0000", "%Y-%m-%d %H:%M %z")
        parsed = datetime.fromisoformat(value)
    except ValueError:
        example = "'2021-03-01 18:05'" if field == "endTime" else "'2021-03-01T18:05:42Z'"
        msg = f"{field} = {value!r}: not a date and time like {example}"
        raise _RowError(msg) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _ms_played(value: Any, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"{field} = {value!r}: expected a whole number of milliseconds, 0 or more"
        raise _RowError(msg)
    return value


def _event_id(user: str, kind: str, end: datetime, track: Any, artist: Any, ms_played: int) -> str:
    """Stable per row: the same row of the same export always gets the same id."""
    key = "\x1f".join((user, kind, end.isoformat(), str(track), str(artist), str(ms_played)))
    return "sp:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
