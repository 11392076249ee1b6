"""Poison events: a handler that always raises on one event is dead-lettered; its partition moves on."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from click.testing import CliRunner

from tastemaker.cli import cli
from tastemaker.config import Config
from tastemaker.errors import BackendUnavailable
from tastemaker.events.log import DeadLetterLog, Record, partition_for
from tastemaker.events.schema import Play
from tastemaker.platform import Platform
from tastemaker.services.consumer import Consumer
from tastemaker.services.runner import ConsumerRunner
from tests.conftest import LiveServer

POISON = "e-poison"


def plays(count: int) -> list[Play]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return [
        Play(
            user_id=f"u{i % 7}",
            ts=start + timedelta(minutes=i),
            event_id=POISON if i == 23 else f"e{i}",
            track_id=f"t{i % 5}",
        )
        for i in range(count)
    ]


class PoisonedSink:
    """Records a batch only when all of it goes through, so a count above 1 is a real duplicate."""

    name = "poisoned"

    def __init__(self, poison: str = POISON, error: type[Exception] = ValueError) -> None:
        self.poison = poison
        self.error = error
        self.seen: Counter[str] = Counter()
        self.calls = 0

    def handle(self, records: Sequence[Record]) -> None:
        self.calls += 1
        if any(r.event.event_id == self.poison for r in records):
            msg = f"cannot handle {self.poison}"
            raise self.error(msg)
        self.seen.update(r.event.event_id for r in records)


def test_poison_event_is_quarantined_and_the_partition_moves_on(platform: Platform) -> None:
    events = plays(60)
    platform.event_log.append(events)
    sink = PoisonedSink()
    runner = ConsumerRunner(platform.event_log, sink, batch_size=16, max_retries=3, retry_backoff_s=0.001)
    runner.drain()

    assert platform.event_log.lag("poisoned") == 0
    assert sink.seen == Counter({e.event_id: 1 for e in events if e.event_id != POISON})
    assert isinstance(platform.event_log, DeadLetterLog)
    (letter,) = platform.event_log.dead_letters("poisoned")
    poison = next(e for e in events if e.event_id == POISON)
    assert letter.partition == partition_for(poison.user_id, platform.event_log.partitions)
    assert letter.event_id == POISON
    assert letter.attempts == 3
    assert letter.error == f"ValueError: cannot handle {POISON}"
    assert "in handle" in letter.traceback and "ValueError" in letter.traceback
    assert json.loads(letter.event)["event_id"] == POISON
    assert platform.event_log.dead_letter_count() == {"poisoned": 1}
    # Events appended after the poison one in the same partition are handled too.
    later = Play(user_id=poison.user_id, ts=poison.ts, event_id="after", track_id="t")
    platform.event_log.append([later])
    runner.drain()
    assert sink.seen["after"] == 1
    assert len(platform.event_log.dead_letters()) == 1


def test_a_big_batch_is_bisected_not_replayed_one_by_one(platform: Platform) -> None:
    events = [
        Play(user_id="u", ts=datetime(2025, 1, 1, tzinfo=UTC), event_id=f"e{i}", track_id="t")
        for i in range(2000)
    ]
    platform.event_log.append(events)
    sink = PoisonedSink(poison="e1234")
    ConsumerRunner(platform.event_log, sink, batch_size=5000, retry_backoff_s=0.001).drain()
    assert sink.seen == Counter({e.event_id: 1 for e in events if e.event_id != "e1234"})
    assert isinstance(platform.event_log, DeadLetterLog)
    assert [letter.event_id for letter in platform.event_log.dead_letters()] == ["e1234"]
    assert sink.calls <= 1 + 2 * 11 + 3  # the batch, two halves per level of log2(2000), the retries


def test_an_unavailable_backend_is_retried_never_dead_lettered(platform: Platform) -> None:
    platform.event_log.append(plays(30))
    sink = PoisonedSink(error=BackendUnavailable)
    runner = ConsumerRunner(platform.event_log, sink, batch_size=100, retry_backoff_s=0.001)
    with pytest.raises(BackendUnavailable):
        runner.run_once()
    assert platform.event_log.lag("poisoned") == 30
    assert isinstance(platform.event_log, DeadLetterLog)
    assert platform.event_log.dead_letters() == []
    sink.poison = "nothing"  # the backend is back
    assert runner.drain() == 30
    assert sum(sink.seen.values()) == 30


def test_max_retries_zero_keeps_the_partition_waiting(platform: Platform) -> None:
    platform.event_log.append(plays(30))
    runner = ConsumerRunner(platform.event_log, PoisonedSink(), batch_size=100, max_retries=0)
    with pytest.raises(ValueError, match="cannot handle"):
        runner.run_once()
    assert platform.event_log.lag("poisoned") == 30


class PoisonedPlatform(Platform):
    """The real platform with one more consumer that chokes on one event."""

    def consumer_factories(self) -> dict[str, Callable[[], Consumer]]:
        return {**super().consumer_factories(), "poisoned": lambda: POISONED}


POISONED = PoisonedSink()


def test_deadletter_list_and_retry_commands(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    events = plays(40)
    with PoisonedPlatform.open(config) as platform:
        platform.event_log.append(events)
        runner = ConsumerRunner(platform.event_log, POISONED, batch_size=100, retry_backoff_s=0.001)
        runner.drain()
        assert isinstance(platform.event_log, DeadLetterLog)
        (letter,) = platform.event_log.dead_letters()
        flags = ["--data-dir", str(config.data_dir)]
        listed = CliRunner().invoke(cli, [*flags, "deadletter", "list"])
        assert listed.exit_code == 0, listed.output
        assert f"poisoned\t{letter.partition}:{letter.offset}\t{POISON}\t3 tries\tValueError" in listed.output
        assert "1 dead letter(s)" in listed.output
        as_json = CliRunner().invoke(cli, [*flags, "deadletter", "list", "--json"])
        assert json.loads(as_json.output)["event"]["event_id"] == POISON
    # retry through the real CLI: the consumer is still broken, then fixed
    monkeypatch.setattr("tastemaker.cli.deadletter.Platform", PoisonedPlatform)
    try:
        failing = CliRunner().invoke(cli, [*flags, "deadletter", "retry"])
        assert failing.exit_code == 1
        assert "0 delivered, 1 still failing" in failing.output
        POISONED.poison = "nothing"
        fixed = CliRunner().invoke(cli, [*flags, "deadletter", "retry", "--consumer", "poisoned"])
        assert fixed.exit_code == 0, fixed.output
        assert "1 delivered, 0 still failing" in fixed.output
        assert POISONED.seen[POISON] == 1
    finally:
        POISONED.poison = POISON
    with Platform.open(config) as platform:
        assert isinstance(platform.event_log, DeadLetterLog)
        assert platform.event_log.dead_letters() == []


def test_healthz_and_metrics_count_dead_letters(live_server: LiveServer) -> None:
    platform = live_server.platform
    assert isinstance(platform.event_log, DeadLetterLog)
    platform.event_log.append(plays(30))
    runner = ConsumerRunner(platform.event_log, PoisonedSink(), batch_size=100, retry_backoff_s=0.001)
    runner.drain()
    with httpx.Client(base_url=live_server.url) as client:
        health = client.get("/healthz").json()
        assert health["dead_letters"] == {"poisoned": 1}
        assert 'tastemaker_dead_letters{group="poisoned"} 1.0' in client.get("/metrics").text
