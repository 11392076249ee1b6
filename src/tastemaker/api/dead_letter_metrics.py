"""The dead-letter gauge: records each consumer set aside, read from the log on scrape."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tastemaker.events.log import DeadLetterLog, EventLog


def dead_letter_counts(event_log: EventLog) -> dict[str, int]:
    """Letters per consumer group; empty for a log that keeps none (Kafka)."""
    return event_log.dead_letter_count() if isinstance(event_log, DeadLetterLog) else {}


class DeadLetterCollector(Collector):
    def __init__(self, event_log: EventLog) -> None:
        self.event_log = event_log

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "tastemaker_dead_letters",
            "Records a consumer could not handle after its retries (tastemaker deadletter list)",
            labels=["group"],
        )
        for group, count in sorted(dead_letter_counts(self.event_log).items()):
            family.add_metric([group], float(count))
        yield family
