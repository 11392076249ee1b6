"""Validate a batch of untrusted items; shared by the native API and the simulator's log sink.

A bad item never rejects its valid siblings: each failure is reported with its location, and the
caller appends the valid rest in one durable ``append`` call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tastemaker.errors import InvalidEvent
from tastemaker.events.schema import Event
from tastemaker.events.validate import parse_event


def validate_items(
    items: Sequence[Any],
    *,
    now: datetime,
    future_tolerance: timedelta,
    user: str | None,
    admin: bool,
    loc_prefix: tuple[str | int, ...] = ("events",),
) -> tuple[list[Event], list[dict[str, Any]]]:
    """Split items into valid events and per-item errors; a user may only send its own events."""
    events: list[Event] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        loc = (*loc_prefix, index)
        try:
            if isinstance(item, InvalidEvent):
                raise item
            event = parse_event(item, now=now, future_tolerance=future_tolerance, default_user=user, loc=loc)
            if not admin and event.user_id != user:
                msg = f"user_id = {event.user_id!r}: a user token may only send events of {user!r}"
                raise InvalidEvent(msg, loc=(*loc, "user_id"), type="forbidden")
        except InvalidEvent as exc:
            errors.append(exc.as_dict())
            continue
        events.append(event)
    return events, errors
