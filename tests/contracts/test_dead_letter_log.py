"""The dead-letter side of every EventLog backend (the SQLite log's table, Kafka's ``<topic>.dlq``),
and a poison event dead-lettered through the real runner on each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from tastemaker.events.log import DeadLetter, DeadLetterLog, EventLog, Record
from tastemaker.events.schema import Play, to_json
from tastemaker.services.runner import ConsumerRunner


def letter(group: str, partition: int, offset: int, error: str = "ValueError: bad") -> DeadLetter:
    event = Play(user_id="u", ts=datetime(2025, 1, 1, tzinfo=UTC), event_id=f"e{offset}", track_id="t")
    return DeadLetter(
        group=group,
        partition=partition,
        offset=offset,
        event_id=event.event_id,
        event=to_json(event),
        error=error,
        traceback="Traceback ...",
        attempts=3,
        quarantined_at_ms=1_700_000_000_000,
    )


def test_quarantine_list_count_and_forget(event_log: EventLog) -> None:
    assert isinstance(event_log, DeadLetterLog)
    assert event_log.dead_letters() == [] and event_log.dead_letter_count() == {}
    event_log.quarantine(letter("b", 1, 7))
    event_log.quarantine(letter("a", 0, 3))
    event_log.quarantine(letter("a", 0, 3, error="ValueError: again"))  # the same record: one letter
    assert [(d.group, d.partition, d.offset) for d in event_log.dead_letters()] == [("a", 0, 3), ("b", 1, 7)]
    assert event_log.dead_letters("a") == [letter("a", 0, 3, error="ValueError: again")]
    assert event_log.dead_letter_count() == {"a": 1, "b": 1}
    assert event_log.forget_dead_letter("a", 0, 3) is True
    assert event_log.forget_dead_letter("a", 0, 3) is False
    assert event_log.dead_letter_count() == {"b": 1}


def test_letters_survive_a_reopen(open_log: Callable[..., EventLog], event_log_url: str) -> None:
    first = open_log()
    assert isinstance(first, DeadLetterLog)
    first.quarantine(letter("a", 2, 11))
    second = open_log(event_log_url)
    assert isinstance(second, DeadLetterLog)
    assert second.dead_letters() == [letter("a", 2, 11)]


class Poisoned:
    name = "poisoned"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def handle(self, records: Sequence[Record]) -> None:
        if any(r.event.event_id == "poison" for r in records):
            msg = "cannot handle poison"
            raise ValueError(msg)
        self.seen.extend(r.event.event_id for r in records)


def test_runner_dead_letters_a_poison_event(event_log: EventLog) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    events = [
        Play(
            user_id=f"u{i % 5}",
            ts=start + timedelta(seconds=i),
            event_id="poison" if i == 17 else f"e{i}",
            track_id="t",
        )
        for i in range(40)
    ]
    event_log.append(events)
    sink = Poisoned()
    ConsumerRunner(event_log, sink, batch_size=100, retry_backoff_s=0.001).drain()
    assert sorted(sink.seen) == sorted(e.event_id for e in events if e.event_id != "poison")
    assert event_log.lag("poisoned") == 0
    assert isinstance(event_log, DeadLetterLog)
    (dead,) = event_log.dead_letters("poisoned")
    assert dead.event_id == "poison" and dead.error == "ValueError: cannot handle poison"
