"""Decode ingest bodies: a JSON object ``{"events": [...]}`` or NDJSON, one event per line.

Body-level problems (not JSON, wrong shape, too many events) reject the request; a bad NDJSON line
is only that item's error, like any other invalid event.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tastemaker.api.errors import ApiError
from tastemaker.errors import InvalidEvent

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/ndjson", "application/json-seq")


def _decode_json(data: bytes, *, what: str) -> Any:
    try:
        return msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError) as exc:  # RecursionError: nested too deeply (fuzzing)
        _check_utf8(data, what=what)  # msgspec >= 0.21 reports bad UTF-8 as a DecodeError without a position
        raise ApiError(
            400,
            f"{what} is not valid JSON: {exc}",
            [{"loc": ["body"], "type": "invalid_json", "msg": str(exc)}],
        ) from None
    except UnicodeDecodeError:
        _check_utf8(data, what=what)
        raise


def _check_utf8(data: bytes, *, what: str) -> None:
    """Raise the ``invalid_utf8`` error, with the byte where decoding fails, if ``data`` is not UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400,
            f"{what} is not valid UTF-8: {exc.reason} at byte {exc.start}",
            [{"loc": ["body"], "type": "invalid_utf8", "msg": f"{exc.reason} at byte {exc.start}"}],
        ) from None


def _ndjson_items(body: bytes) -> list[Any]:
    items: list[Any] = []
    for number, line in enumerate(body.splitlines()):
        if not line.strip():
            continue
        try:
            items.append(msgspec.json.decode(line))
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
            msg = f"line {number + 1} is not valid JSON: {exc}"
            items.append(InvalidEvent(msg, loc=("events", len(items)), type="invalid_json"))
    return items


def decode_events(body: bytes, content_type: str, *, max_events: int) -> list[Any]:
    if not body.strip():
        raise ApiError(
            400,
            'request body is empty; send {"events": [...]} or NDJSON',
            [{"loc": ["body"], "type": "missing", "msg": "body is empty"}],
        )
    if content_type.split(";")[0].strip().lower() in NDJSON_TYPES:
        items = _ndjson_items(body)
    else:
        document = _decode_json(body, what="request body")
        if not isinstance(document, dict) or not isinstance(document.get("events"), list):
            raise ApiError(
                400,
                'request body must be a JSON object {"events": [...]}',
                [{"loc": ["body", "events"], "type": "wrong_shape", "msg": "expected a list under 'events'"}],
            )
        items = document["events"]
    if len(items) > max_events:
        msg = f"{len(items)} events in one request; at most {max_events} are accepted (split the batch)"
        raise ApiError(413, msg, [{"loc": ["body", "events"], "type": "too_many_events", "msg": msg}])
    if not items:
        raise ApiError(
            400, "no events in the request", [{"loc": ["body", "events"], "type": "empty", "msg": "empty"}]
        )
    return items
