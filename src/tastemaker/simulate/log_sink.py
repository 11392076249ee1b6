"""Simulated events straight into an EventLog, skipping HTTP: the fastest way to fill a data dir.

Events pass through the same edge validator as the API (so ids, UTC times and track ids are what a
client would have produced), then are appended in batches; each ``append`` is durable on return.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import msgspec

from tastemaker.events.ingest import validate_items
from tastemaker.events.log import EventLog
from tastemaker.events.schema import Event
from tastemaker.simulate.sinks import SinkBase, SinkError

_TOLERANCE = timedelta(hours=1)


class LogSink(SinkBase):
    def __init__(self, event_log: EventLog) -> None:
        self.event_log = event_log
        self.sent = 0

    def write(self, events: Sequence[Event]) -> None:
        items = [msgspec.to_builtins(event) for event in events]
        valid, errors = validate_items(
            items, now=datetime.now(UTC), future_tolerance=_TOLERANCE, user=None, admin=True
        )
        if errors:
            msg = f"{len(errors)} simulated events are invalid, first: {errors[0]['msg']}"
            raise SinkError(msg)
        self.event_log.append(valid)
        self.sent += len(valid)

    def close(self) -> None:
        """Nothing is buffered: every batch was durable when ``write`` returned."""

    def abort(self) -> None:
        """Nothing to undo: what was appended is complete, durable events."""
