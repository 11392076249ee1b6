"""The runner: a failing sink never loses a batch; commits happen only after a successful handle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from tastemaker.events.log import Record
from tastemaker.events.schema import Play
from tastemaker.platform import Platform
from tastemaker.services.runner import ConsumerRunner


class FlakySink:
    name = "flaky"

    def __init__(self) -> None:
        self.fail_next = True
        self.seen: list[str] = []

    def handle(self, records: Sequence[Record]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk hiccup")  # a backend error: retried, never dead-lettered
        self.seen.extend(r.event.event_id for r in records)


def test_failed_batch_is_delivered_again(platform: Platform) -> None:
    events = [
        Play(user_id="u", ts=datetime(2025, 1, 1, tzinfo=UTC), event_id=f"e{i}", track_id="t")
        for i in range(5)
    ]
    platform.event_log.append(events)
    sink = FlakySink()
    runner = ConsumerRunner(platform.event_log, sink, batch_size=100)
    with pytest.raises(OSError, match="disk hiccup"):
        runner.run_once()
    assert platform.event_log.lag("flaky") == 5
    assert runner.drain() == 5
    assert sink.seen == [f"e{i}" for i in range(5)]
    assert platform.event_log.lag("flaky") == 0
