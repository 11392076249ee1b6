"""Turn untrusted JSON objects into events, or say precisely what is wrong with each.

Errors carry ``loc`` (where), ``type`` (which rule) and ``msg`` (the field, the value and the rule),
so that a client can fix one item of a batch without guessing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from tastemaker.errors import InvalidEvent
from tastemaker.events.identity import content_event_id, track_id_for
from tastemaker.events.schema import EVENT_TYPES, TRACK_EVENTS, Event, EventBase

EARLIEST_TS = datetime(2002, 10, 1, tzinfo=UTC)
_PATH = re.compile(r" - at `\$((?:\.[A-Za-z_][\w]*|\[\d+\])*)`$")
_MISSING = re.compile(r"Object missing required field `(\w+)`")
_MAX_REPR = 80
_msgpack = msgspec.msgpack.Encoder()
_FIELDS = {cls: frozenset({*cls.__struct_fields__, "type"}) for cls in EVENT_TYPES.values()}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def _loc_from_path(path: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for match in re.finditer(r"\.(\w+)|\[(\d+)\]", path):
        parts.append(match.group(1) if match.group(1) else int(match.group(2)))
    return tuple(parts)


def _lookup(raw: dict[str, Any], loc: tuple[str | int, ...]) -> Any:
    value: Any = raw
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _explain(
    exc: msgspec.ValidationError, raw: dict[str, Any], prefix: tuple[str | int, ...]
) -> InvalidEvent:
    text = str(exc)
    missing = _MISSING.search(text)
    if missing:
        field = missing.group(1)
        return InvalidEvent(f"{field} is required", loc=(*prefix, field), type="missing")
    match = _PATH.search(text)
    loc = _loc_from_path(match.group(1)) if match else ()
    rule = _PATH.sub("", text)
    value = _lookup(raw, loc)
    kind = "invalid_value"
    if rule.startswith("Expected") and ", got" in rule:
        kind = "wrong_type"
    elif "length" in rule:
        kind = "wrong_length"
    elif any(op in rule for op in (">=", "<=", " > ", " < ")):
        kind = "out_of_range"
    name = ".".join(str(p) for p in loc) or "event"
    return InvalidEvent(f"{name} = {_short(value)}: {rule}", loc=(*prefix, *loc), type=kind)


def _coerce_ts(raw: dict[str, Any], prefix: tuple[str | int, ...]) -> None:
    """Accept epoch seconds as well as RFC 3339 strings; insist on a timezone."""
    ts = raw.get("ts")
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        try:
            raw["ts"] = datetime.fromtimestamp(ts, tz=UTC)
        except (OverflowError, OSError, ValueError):
            msg = f"ts = {_short(ts)}: not a valid Unix time in seconds"
            raise InvalidEvent(msg, loc=(*prefix, "ts"), type="out_of_range") from None


def _check_storable(extra: dict[str, Any], prefix: tuple[str | int, ...]) -> None:
    """Unknown fields are stored as they came, but not integers beyond 64 bits: the Parquet archive,
    Kafka consumers and most JSON readers cannot hold them. Encoding to msgpack checks exactly that."""
    try:
        _msgpack.encode(extra)
    except (OverflowError, TypeError) as exc:
        msg = f"extra field cannot be stored: {exc}"
        raise InvalidEvent(msg, loc=(*prefix, "extra"), type="out_of_range") from None


def _check_ts(
    event: Event, *, now: datetime, future_tolerance: timedelta, prefix: tuple[str | int, ...]
) -> None:
    ts = event.ts
    if ts.tzinfo is None:
        msg = f"ts = {ts.isoformat()!r}: needs a timezone, e.g. '2025-01-01T12:00:00Z'"
        raise InvalidEvent(msg, loc=(*prefix, "ts"), type="missing_timezone")
    if ts < EARLIEST_TS:
        msg = f"ts is {ts.isoformat()}, before 2002-10-01 (the earliest listen accepted)"
        raise InvalidEvent(msg, loc=(*prefix, "ts"), type="too_far_in_past")
    if ts > now + future_tolerance:
        seconds = int(future_tolerance.total_seconds())
        msg = f"ts is {ts.isoformat()}, more than {seconds} s after server time {now.isoformat()}"
        raise InvalidEvent(msg, loc=(*prefix, "ts"), type="too_far_in_future")


def _resolve_track(data: dict[str, Any], cls: type[EventBase], prefix: tuple[str | int, ...]) -> None:
    """Name → catalog id before conversion, so the event is built once (this is the hot path)."""
    if cls not in TRACK_EVENTS or data.get("track_id"):
        return
    track, artist = data.get("track_name"), data.get("artist_name")
    if isinstance(track, str) and isinstance(artist, str) and track.strip() and artist.strip():
        data["track_id"] = track_id_for(artist_name=artist, track_name=track)
    elif isinstance(track, str | None) and isinstance(artist, str | None):
        msg = "a track event needs track_id, or track_name and artist_name"
        raise InvalidEvent(msg, loc=(*prefix, "track_id"), type="missing_track")


def _check_no_nul(data: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    """Ids and names end up as database keys and catalog rows, and PostgreSQL stores no U+0000 in
    text or jsonb: refuse it at the edge rather than let one event block a consumer forever."""
    for key, value in data.items():
        values = value if isinstance(value, list) else [value]
        for index, item in enumerate(values):
            if isinstance(item, str) and "\x00" in item:
                where = (*loc, key, index) if isinstance(value, list) else (*loc, key)
                msg = f"{key} must not contain NUL (U+0000)"
                raise InvalidEvent(msg, loc=where, type="invalid")


def parse_event(
    raw: Any,
    *,
    now: datetime,
    future_tolerance: timedelta = timedelta(hours=1),
    default_user: str | None = None,
    loc: tuple[str | int, ...] = (),
) -> Event:
    """Validate one JSON object into a complete event: UTC ts, track resolved, id and received_at set."""
    if not isinstance(raw, dict):
        msg = f"each event must be a JSON object, got {type(raw).__name__}"
        raise InvalidEvent(msg, loc=loc, type="not_an_object")
    kind = raw.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        known = ", ".join(sorted(EVENT_TYPES))
        msg = f"type = {_short(kind)}: unknown event type; expected one of {known}"
        raise InvalidEvent(msg, loc=(*loc, "type"), type="missing" if kind is None else "unknown_event_type")
    data = dict(raw)
    unknown = data.keys() - _FIELDS[cls]
    extra: dict[str, Any] = {key: data.pop(key) for key in unknown}
    if isinstance(data.get("extra"), dict):
        extra = {**data["extra"], **extra}
    if extra:
        _check_storable(extra, loc)
    data["extra"] = extra
    data.pop("received_at", None)
    if default_user is not None and "user_id" not in data:
        data["user_id"] = default_user
    _check_no_nul(data, loc)
    _coerce_ts(data, loc)
    _resolve_track(data, cls, loc)
    try:
        event: Event = msgspec.convert(data, cls)  # type: ignore[assignment]
    except msgspec.ValidationError as exc:
        raise _explain(exc, data, loc) from None
    _check_ts(event, now=now, future_tolerance=future_tolerance, prefix=loc)
    if event.ts.utcoffset():
        event.ts = event.ts.astimezone(UTC)
    if not event.event_id:
        event.event_id = content_event_id(event)
    event.received_at = now
    return event
