"""Prometheus metrics: ingest counters, consumer throughput, and consumer lag read from the log on scrape."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from tastemaker.events.log import EventLog
from tastemaker.storage.migrate import MirroredStore


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


class MigrationCollector(Collector):
    """A store migration's counters: mirrored writes, mirror errors, shadow reads and mismatches."""

    KINDS = (
        "mirrored_writes",
        "mirror_errors",
        "shadow_reads",
        "shadow_settled",
        "shadow_mismatches",
        "shadow_errors",
    )

    def __init__(self, store: MirroredStore) -> None:
        self.store = store

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        counts = dict(self.store.counters)
        for kind in self.KINDS:
            family = CounterMetricFamily(
                f"tastemaker_migration_{kind}",
                f"Store migration: {kind.replace('_', ' ')}",
                labels=["method"],
            )
            for (counted, method), value in sorted(counts.items()):
                if counted == kind:
                    family.add_metric([method], float(value))
            yield family
        phase = GaugeMetricFamily(
            "tastemaker_migration_phase", "1 for the migration's current phase", labels=["phase"]
        )
        phase.add_metric([self.store.phase], 1.0)
        yield phase


class Metrics:
    """One registry per app, so that several apps (tests) never collide in the global one."""

    def __init__(
        self, event_log: EventLog, groups: Callable[[], list[str]], *, migration: MirroredStore | None = None
    ) -> None:
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
        if migration is not None:
            self.registry.register(MigrationCollector(migration))

    def on_batch(self, group: str, count: int) -> None:
        self.consumed.labels(group).inc(count)

    def render(self) -> bytes:
        data: bytes = generate_latest(self.registry)
        return data
