"""ListenBrainz submissions → native event dicts, checked with ListenBrainz's own rules first.

ListenBrainz rejects a whole request when one listen is bad, so clients resubmit the batch after a
fix; we keep that contract (nothing half-accepted that the client would then send twice) and let
the log's idempotency absorb the retries: a listen's event id depends only on the user, its
``listened_at`` and its track.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from tastemaker.api.errors import ApiError
from tastemaker.events.identity import track_id_for
from tastemaker.events.schema import FULL_LISTEN_MS

LISTEN_TYPES = ("single", "playing_now", "import")
MAX_LISTENS = 1000
MAX_LISTEN_BYTES = 10_240
LISTEN_MINIMUM_TS = 1_033_430_400
"""2002-10-01, the earliest ``listened_at`` ListenBrainz accepts."""

ADDITIONAL_FIELDS = ("duration_ms", "recording_mbid", "release_mbid", "artist_mbids", "isrc")
"""``additional_info`` keys that map onto event fields; every other key is kept in the event's ``extra``."""

_encoder = msgspec.json.Encoder()


def bad_request(msg: str) -> ApiError:
    return ApiError(400, msg)


def decode_body(body: bytes) -> dict[str, Any]:
    """Parse the body whatever its Content-Type: liblistenbrainz posts JSON without one."""
    if not body.strip():
        msg = "Cannot parse JSON document: the request body is empty"
        raise bad_request(msg)
    try:
        document = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        msg = f"Cannot parse JSON document: {exc}"
        raise bad_request(msg) from None
    if not isinstance(document, dict):
        msg = "Invalid JSON document submitted: expected an object"
        raise bad_request(msg)
    return document


def submitted_listens(document: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The listen type and its listens, after the request-level checks ListenBrainz makes."""
    listen_type = document.get("listen_type")
    if listen_type not in LISTEN_TYPES:
        msg = f"listen_type = {listen_type!r}: expected one of {', '.join(LISTEN_TYPES)}"
        raise bad_request(msg)
    payload = document.get("payload")
    if not isinstance(payload, list) or not payload:
        msg = "payload must be a non-empty list of listens"
        raise bad_request(msg)
    if listen_type != "import" and len(payload) != 1:
        msg = f"JSON document must contain exactly one listen for listen_type {listen_type}"
        raise bad_request(msg)
    if len(payload) > MAX_LISTENS:
        msg = f"Too many listens: {len(payload)}; at most {MAX_LISTENS} in one request"
        raise bad_request(msg)
    for index, listen in enumerate(payload):
        check_listen(listen, index, playing_now=listen_type == "playing_now")
    return listen_type, payload


def _require_text(metadata: dict[str, Any], key: str, where: str) -> None:
    value = metadata.get(key)
    if not isinstance(value, str) or not value.strip():
        msg = f"{where}.track_metadata.{key} is required and must be a non-empty string"
        raise bad_request(msg)


def check_listen(listen: Any, index: int, *, playing_now: bool) -> None:
    where = f"payload[{index}]"
    if not isinstance(listen, dict):
        msg = f"{where} must be a JSON object"
        raise bad_request(msg)
    size = len(_encoder.encode(listen))
    if size > MAX_LISTEN_BYTES:
        msg = f"{where} is {size} bytes; a listen may be at most {MAX_LISTEN_BYTES} bytes"
        raise bad_request(msg)
    metadata = listen.get("track_metadata")
    if not isinstance(metadata, dict):
        msg = f"{where}.track_metadata is required and must be an object"
        raise bad_request(msg)
    _require_text(metadata, "artist_name", where)
    _require_text(metadata, "track_name", where)
    additional = metadata.get("additional_info") or {}
    if not isinstance(additional, dict):
        msg = f"{where}.track_metadata.additional_info must be an object"
        raise bad_request(msg)
    for key in ("duration_ms", "duration"):
        value = additional.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            msg = f"{where}.track_metadata.additional_info.{key} = {value!r}: must be a non-negative integer"
            raise bad_request(msg)
    listened_at = listen.get("listened_at")
    if playing_now:
        if listened_at is not None:
            msg = f"{where}.listened_at must not be set for listen_type playing_now"
            raise bad_request(msg)
        return
    if isinstance(listened_at, bool) or not isinstance(listened_at, int):
        msg = f"{where}.listened_at is required and must be an integer (Unix seconds)"
        raise bad_request(msg)
    if listened_at < LISTEN_MINIMUM_TS:
        msg = f"{where}.listened_at = {listened_at}: before 2002-10-01 ({LISTEN_MINIMUM_TS})"
        raise bad_request(msg)


def duration_ms(additional: dict[str, Any]) -> Any:
    """``duration_ms``, or ListenBrainz's alternative ``duration`` in seconds; None when neither is set."""
    if additional.get("duration_ms") is not None:
        return additional["duration_ms"]
    seconds = additional.get("duration")
    if isinstance(seconds, int) and not isinstance(seconds, bool):
        return seconds * 1000
    return None


def listen_event_id(user: str, listened_at: int, track_id: str) -> str:
    key = f"{user}\x1f{listened_at}\x1f{track_id}".encode()
    return "lb:" + hashlib.blake2b(key, digest_size=16).hexdigest()


def play_item(listen: dict[str, Any], user: str) -> dict[str, Any]:
    """A checked listen as a native ``play`` item for ``validate_items``.

    ``ms_played`` is the duration when known, else a full listen: ListenBrainz clients submit only
    listens that counted (half the track or 4 minutes), so a listen is a completed play.
    """
    metadata: dict[str, Any] = listen["track_metadata"]
    additional: dict[str, Any] = dict(metadata.get("additional_info") or {})
    track_id = track_id_for(artist_name=metadata["artist_name"], track_name=metadata["track_name"])
    duration = duration_ms(additional)
    additional.pop("duration", None)
    item: dict[str, Any] = {
        "type": "play",
        "user_id": user,
        "ts": listen["listened_at"],
        "event_id": listen_event_id(user, listen["listened_at"], track_id),
        "track_id": track_id,
        "track_name": metadata["track_name"],
        "artist_name": metadata["artist_name"],
        "ms_played": duration if duration is not None else FULL_LISTEN_MS,
    }
    if metadata.get("release_name"):
        item["album_name"] = metadata["release_name"]
    if duration is not None:
        item["duration_ms"] = duration
    else:
        item.setdefault("extra", {})["ms_played_assumed"] = True
    for key in ADDITIONAL_FIELDS:
        value = additional.pop(key, None)
        if value is not None and key != "duration_ms":
            item[key] = value
    extra = {k: v for k, v in metadata.items() if k not in ("artist_name", "track_name", "release_name")}
    extra.pop("additional_info", None)
    item["extra"] = {**extra, **additional, "source": "listenbrainz"}
    return item
