"""Harness: an ingest body (JSON or NDJSON, picked by the first byte) through the API's decoder and the
event validator. Expected failures are ``ApiError`` (the body) and per-item errors; anything else that
escapes is a crash: it would be a 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

NOW = datetime(2025, 6, 1, tzinfo=UTC)
CONTENT_TYPES = ("application/json", "application/x-ndjson")


def load() -> Callable[[bytes], None]:
    from tastemaker.api.body import decode_events
    from tastemaker.api.errors import ApiError
    from tastemaker.events.ingest import validate_items

    def one_input(data: bytes) -> None:
        if not data:
            return
        content_type = CONTENT_TYPES[data[0] % len(CONTENT_TYPES)]
        try:
            items = decode_events(data[1:], content_type, max_events=1000)
        except ApiError:
            return
        validate_items(items, now=NOW, future_tolerance=timedelta(hours=1), user="fuzz", admin=False)

    return one_input


if __name__ == "__main__":
    from tests.fuzz._atheris import fuzz

    fuzz(load)
