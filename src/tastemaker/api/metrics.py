"""Prometheus metrics: ingest counters, consumer throughput, and consumer lag read from the log on scrape."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tastemaker.events.log import EventLog


class LagCollector(Collector):
    def __init__(self, event_log: EventLog, groups: Callable[[], list[str]]) -> None:
        self.event_log = event_log
        self.groups = groups

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily(
            "tastemaker_consumer_lag_events",
            "Events appended but not yet committed by the group",
            labels=["group"],
        )
        for group in self.groups():
            lag.add_metric([group], float(self.event_log.lag(group)))
        yield lag
        end = GaugeMetricFamily(
            "tastemaker_log_end_offset", "Next offset per partition", labels=["partition"]
        )
        for partition, offset in sorted(self.event_log.end_offsets().items()):
            end.add_metric([str(partition)], float(offset))
        yield end


class Metrics:
    """One registry per app, so that several apps (tests) never collide in the global one."""

    def __init__(self, event_log: EventLog, groups: Callable[[], list[str]]) -> None:
        self.registry = CollectorRegistry()
        self.events_accepted = Counter(
            "tastemaker_events_accepted", "Events accepted by the API", registry=self.registry
        )
        self.events_rejected = Counter(
            "tastemaker_events_rejected", "Events rejected by validation", ["type"], registry=self.registry
        )
        self.consumed = Counter(
            "tastemaker_consumer_events", "Events handled by each consumer", ["group"], registry=self.registry
        )
        self.registry.register(LagCollector(event_log, groups))

    def on_batch(self, group: str, count: int) -> None:
        self.consumed.labels(group).inc(count)

    def render(self) -> bytes:
        data: bytes = generate_latest(self.registry)
        return data
