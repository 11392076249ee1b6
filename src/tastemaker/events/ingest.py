"""Validate a batch of untrusted items and append the valid ones; shared by every ingest protocol.

A bad item never rejects its valid siblings: each failure is reported with its location and the
rest are appended in one durable ``append`` call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tastemaker.errors import InvalidEvent
from tastemaker.events.log import EventLog
from tastemaker.events.schema import Event
from tastemaker.events.validate import parse_event


@dataclass
class IngestResult:
    accepted: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


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


def ingest(
    items: Sequence[Any],
    *,
    event_log: EventLog,
    user: str | None,
    admin: bool,
    future_tolerance: timedelta = timedelta(hours=1),
    now: datetime | None = None,
) -> IngestResult:
    events, errors = validate_items(
        items, now=now or datetime.now(UTC), future_tolerance=future_tolerance, user=user, admin=admin
    )
    if events:
        event_log.append(events)
    return IngestResult(accepted=[e.event_id for e in events], errors=errors)
