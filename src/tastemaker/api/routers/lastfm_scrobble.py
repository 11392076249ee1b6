"""Scrobble parameters (``artist[i]``, ``track[i]``, ``timestamp[i]``… or the non-indexed form) → play items.

Items are plain event dicts for ``validate_items``, the same path as ``POST /v1/events``. A scrobble says
the track was played past Last.fm's scrobble point, so ``ms_played`` is the whole ``duration`` when the
client sends one, and otherwise ``FULL_LISTEN_MS``, the length that counts as a complete listen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tastemaker.api.routers.lastfm_wire import INVALID_PARAMETERS, LastfmError, Node
from tastemaker.errors import InvalidEvent
from tastemaker.events.schema import FULL_LISTEN_MS

MAX_SCROBBLES = 50
ARTIST_IGNORED, TRACK_IGNORED, TOO_OLD, TOO_NEW = 1, 2, 3, 4
_INDEXED = re.compile(r"^(\w+)\[(\d+)\]$")
_EXTRA = {"albumArtist": "album_artist", "trackNumber": "track_number", "chosenByUser": "chosen_by_user"}
_MAX_SECONDS = 7 * 24 * 3600


def scrobble_fields(params: Mapping[str, str]) -> list[dict[str, str]]:
    """The fields of each scrobble of a request, in index order; the non-indexed form is one scrobble."""
    indexed: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        match = _INDEXED.match(key)
        if match:
            indexed.setdefault(int(match.group(2)), {})[match.group(1)] = value
    if not indexed:
        if not (params.get("artist") or params.get("track")):
            msg = "Invalid parameters - send artist[i], track[i], timestamp[i]"
            raise LastfmError(INVALID_PARAMETERS, msg)
        return [dict(params)]
    if len(indexed) > MAX_SCROBBLES or max(indexed) >= MAX_SCROBBLES:
        msg = f"Invalid parameters - at most {MAX_SCROBBLES} scrobbles per request, indexed 0 to 49"
        raise LastfmError(INVALID_PARAMETERS, msg)
    return [indexed[i] for i in sorted(indexed)]


def _seconds(fields: Mapping[str, str], name: str, loc: tuple[str | int, ...]) -> int | None:
    raw = fields.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        msg = f"{name} = {raw[:40]!r}: not a whole number of seconds"
        raise InvalidEvent(msg, loc=(*loc, name), type="wrong_type") from None


def play_item(fields: Mapping[str, str], *, user: str, index: int) -> Any:
    """One scrobble as an event item, or the ``InvalidEvent`` that ignores it (validate_items reports it)."""
    loc: tuple[str | int, ...] = ("scrobbles", index)
    try:
        ts = _seconds(fields, "timestamp", loc)
        duration = _seconds(fields, "duration", loc)
        if ts is None:
            msg = "timestamp is required"
            raise InvalidEvent(msg, loc=(*loc, "timestamp"), type="missing")
        if duration is not None and not 0 <= duration <= _MAX_SECONDS:
            msg = f"duration = {duration}: must be 0 to {_MAX_SECONDS} seconds"
            raise InvalidEvent(msg, loc=(*loc, "duration"), type="out_of_range")
    except InvalidEvent as exc:
        return exc
    item: dict[str, Any] = {
        "type": "play",
        "user_id": user,
        "ts": ts,
        "track_name": fields.get("track") or None,
        "artist_name": fields.get("artist") or None,
        "ms_played": duration * 1000 if duration else FULL_LISTEN_MS,
    }
    if fields.get("album"):
        item["album_name"] = fields["album"]
    if duration:
        item["duration_ms"] = duration * 1000
    else:
        item["extra"] = {"ms_played_assumed": True}
    if fields.get("mbid"):
        item["recording_mbid"] = fields["mbid"]
    extra = {name: fields[key] for key, name in _EXTRA.items() if fields.get(key)}
    if extra:
        item["extra"] = extra
    return item


def ignored_code(fields: Mapping[str, str], error: Mapping[str, Any]) -> int:
    """Last.fm's ignoredMessage codes: 1 artist, 2 track, 3 timestamp too old, 4 timestamp too new."""
    if not fields.get("artist"):
        return ARTIST_IGNORED
    if not fields.get("track"):
        return TRACK_IGNORED
    if error.get("type") == "too_far_in_future":
        return TOO_NEW
    if error.get("type") == "too_far_in_past" or "timestamp" in error.get("loc", ()):
        return TOO_OLD
    return TRACK_IGNORED


def _corrected(tag: str, text: str) -> Node:
    return Node(tag, text, {"corrected": "0"})


def scrobble_node(fields: Mapping[str, str], code: int, message: str, *, tag: str = "scrobble") -> Node:
    return Node(
        tag,
        children=[
            _corrected("track", fields.get("track", "")),
            _corrected("artist", fields.get("artist", "")),
            _corrected("album", fields.get("album", "")),
            _corrected("albumArtist", fields.get("albumArtist", "")),
            Node("timestamp", fields.get("timestamp", "")),
            Node("ignoredMessage", message, {"code": str(code)}),
        ],
        many=tag == "scrobble",
    )
