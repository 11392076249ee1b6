"""Import a ListenBrainz export as ``play`` events.

Accepted: the export .zip (``user.json`` plus ``listens/YYYY/M.jsonl``) or its unpacked folder, a
JSON Lines file (one listen per line), a JSON array of listens (the older export), or an API
response (``{"payload": {"listens": [...]}}``). A listen is
``{"listened_at": Unix seconds, "track_metadata": {"artist_name", "track_name", "release_name",
"additional_info": {...}, "mbid_mapping": {...}}, "recording_msid", "user_name"}``.

Mapping choices:

- ``listened_at`` is when playback *started* (ListenBrainz's definition), so it is ``ts`` as is.
- A listen is a finished play by ListenBrainz's submission rule (half the track or 4 minutes), so
  ``ms_played`` is the track duration when the listen says it (``duration_ms``, or ``duration`` in
  seconds), otherwise ``FULL_LISTEN_MS`` with ``extra.ms_played_assumed``. It is never a ``skip``.
- MBIDs and the ISRC come from ``additional_info``, falling back to ListenBrainz's own
  ``mbid_mapping``; everything else is kept in ``extra``.
- The user is the one passed in, else the listen's ``user_name``, else ``user.json`` of the export.

The event id hashes (user, listened_at, recording_msid, or artist and track when there is no msid),
so importing the same export twice adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from tastemaker.catalog.importers.report import ImportFailed, ImportProblem, ImportReport
from tastemaker.catalog.importers.runner import ImportItem, import_events
from tastemaker.catalog.importers.sources import SourceFile, find_files, iter_json_lines, load_json
from tastemaker.errors import InvalidEvent
from tastemaker.events.log import EventLog
from tastemaker.events.schema import FULL_LISTEN_MS
from tastemaker.events.validate import parse_event

EXPECTED = "listens/YYYY/M.jsonl and user.json (the export .zip), *.jsonl, or a JSON array of listens"
_NOT_LISTENS = frozenset({"user.json", "feedback.jsonl", "pinned_recording.jsonl"})
_MAPPED_INFO = frozenset(
    {"duration_ms", "duration", "isrc", "recording_mbid", "release_mbid", "artist_mbids", "recording_msid"}
)
_MAPPED_TOP = frozenset({"listened_at", "track_metadata", "recording_msid", "user_name"})


def is_listenbrainz_file(name: str) -> bool:
    """Whether a file inside an export folder or zip holds listens (or is ``user.json``)."""
    lower = name.lower()
    return lower == "user.json" or (lower.endswith((".jsonl", ".jsonl.gz")) and lower not in _NOT_LISTENS)


def import_listenbrainz(
    path: Path | str,
    *,
    user: str | None = None,
    log: EventLog,
    progress: bool = True,
    now: datetime | None = None,
    batch_size: int = 1000,
) -> ImportReport:
    """Import a ListenBrainz export; ``user`` overrides the user names the export carries."""
    items = iter_listenbrainz_events(Path(path).expanduser(), user=user, now=now or datetime.now(UTC))
    return import_events(items, log, source="listenbrainz", batch_size=batch_size, progress=progress)


def iter_listenbrainz_events(path: Path, *, user: str | None, now: datetime) -> Iterator[ImportItem]:
    """An event or an ``ImportProblem`` per listen under ``path``; the path is checked now."""
    if user == "":
        msg = "user must not be empty"
        raise ImportFailed(msg)
    files = find_files(path, accept=is_listenbrainz_file, what="ListenBrainz listens", expected=EXPECTED)
    given_file = len(files) == 1 and files[0].path == path and files[0].member is None
    listens = [f for f in files if given_file or f.name.lower() != "user.json"]
    user_files = [f for f in files if f not in listens]
    if not listens:
        msg = f"{path}: holds user.json but no listens; expected {EXPECTED}"
        raise ImportFailed(msg)
    return _iter_files(listens, user=user, export_user=_export_user(user_files), now=now)


def _export_user(files: list[SourceFile]) -> str | None:
    for source in files:
        info = load_json(source.read_bytes(), source.label)
        if isinstance(info, dict) and isinstance(info.get("username"), str) and info["username"]:
            return str(info["username"])
    return None


def _iter_files(
    files: list[SourceFile], *, user: str | None, export_user: str | None, now: datetime
) -> Iterator[ImportItem]:
    for source in files:
        for where, listen in _listens(source):
            listen_user = user or _user_name(listen) or export_user
            if not listen_user and isinstance(listen, dict):  # a non-object is reported as invalid below
                msg = f"{where}: the listen names no user_name and the export has no user.json; pass --user"
                raise ImportFailed(msg)
            yield _convert(listen, user=listen_user or "", now=now, where=where)


def _listens(source: SourceFile) -> Iterator[tuple[str, Any]]:
    """``(where, listen)`` for each listen of one file, whichever of the accepted shapes it has."""
    data = source.read_bytes()
    lines = source.name.lower().endswith((".jsonl", ".jsonl.gz"))
    if not lines:
        try:
            whole: Any = msgspec.json.decode(data)
        except msgspec.DecodeError:
            lines = data.lstrip().startswith(b"{")
            if not lines:
                whole = load_json(data, source.label)
    if lines:
        for lineno, listen in iter_json_lines(data, source.label):
            yield f"{source.label}:{lineno}", listen
        return
    if isinstance(whole, dict) and isinstance(whole.get("payload"), dict):
        whole = whole["payload"].get("listens")
    elif isinstance(whole, dict) and "listened_at" in whole:
        whole = [whole]
    if not isinstance(whole, list):
        msg = f"{source.label}: not a ListenBrainz export; expected {EXPECTED}"
        raise ImportFailed(msg)
    for index, listen in enumerate(whole):
        yield f"{source.label}[{index}]", listen


def _user_name(listen: Any) -> str | None:
    name = listen.get("user_name") if isinstance(listen, dict) else None
    return name if isinstance(name, str) and name else None


def _convert(listen: Any, *, user: str, now: datetime, where: str) -> ImportItem:
    if not isinstance(listen, dict):
        return ImportProblem("invalid", where, f"expected a JSON object, got {type(listen).__name__}")
    meta = listen.get("track_metadata")
    if not isinstance(meta, dict):
        return ImportProblem("invalid", where, "track_metadata is required and must be an object")
    listened_at = listen.get("listened_at")
    if isinstance(listened_at, bool) or not isinstance(listened_at, int | float):
        msg = f"listened_at = {listened_at!r}: expected Unix time in seconds"
        return ImportProblem("invalid", where, msg)
    try:
        return parse_event(_raw(listen, meta, user=user, listened_at=listened_at), now=now, default_user=user)
    except InvalidEvent as exc:
        return ImportProblem("invalid", where, exc.msg)
    except (ValueError, OverflowError) as exc:  # NaN or infinite numbers (the stdlib parser accepts them)
        return ImportProblem("invalid", where, f"not a finite number: {exc}")


def _raw(listen: dict[str, Any], meta: dict[str, Any], *, user: str, listened_at: float) -> dict[str, Any]:
    info = _object(meta.get("additional_info"))
    mapping = _object(meta.get("mbid_mapping"))
    msid = listen.get("recording_msid") or meta.get("recording_msid") or info.get("recording_msid")
    duration_ms = _duration_ms(info)
    artist_mbids = info.get("artist_mbids") or mapping.get("artist_mbids")
    extra = {key: value for key, value in listen.items() if key not in _MAPPED_TOP}
    extra.update(
        imported_from="listenbrainz",
        recording_msid=msid,
        additional_info={k: v for k, v in info.items() if k not in _MAPPED_INFO} or None,
        mbid_mapping=mapping or None,
        ms_played_assumed=True if not duration_ms else None,
    )
    raw = {
        "type": "play",
        "ts": listened_at,
        "event_id": _event_id(user, listened_at, msid, meta),
        "track_name": meta.get("track_name"),
        "artist_name": meta.get("artist_name"),
        "album_name": meta.get("release_name"),
        "duration_ms": duration_ms,
        "ms_played": duration_ms or FULL_LISTEN_MS,
        "isrc": info.get("isrc"),
        "recording_mbid": info.get("recording_mbid") or mapping.get("recording_mbid"),
        "release_mbid": info.get("release_mbid") or mapping.get("release_mbid"),
        "artist_mbids": [artist_mbids] if isinstance(artist_mbids, str) else artist_mbids,
        "extra": {key: value for key, value in extra.items() if value is not None},
    }
    return {key: value for key, value in raw.items() if value is not None and value != ""}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _duration_ms(info: dict[str, Any]) -> int | None:
    """``duration_ms``, else ``duration`` (seconds), else unknown. Nonsense is left to validation."""
    value = info.get("duration_ms")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value)
    seconds = info.get("duration")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        return round(seconds * 1000)
    return None


def _event_id(user: str, listened_at: float, msid: Any, meta: dict[str, Any]) -> str:
    """Stable per listen: exports give ``listened_at`` as 1700000000 or 1700000000.0 alike."""
    when = str(int(listened_at)) if float(listened_at).is_integer() else repr(float(listened_at))
    what = str(msid) if msid else f"{meta.get('artist_name')}\x1f{meta.get('track_name')}"
    key = "\x1f".join((user, when, what))
    return "lb:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
