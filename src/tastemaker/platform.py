"""Wiring: open the configured backends and consumers once, for the server, the workers and the CLI."""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from tastemaker.backends import EVENT_LOGS, STORES, open_backend
from tastemaker.catalog.track_cache import TrackCache
from tastemaker.config import Config
from tastemaker.errors import ConfigError
from tastemaker.events.log import EventLog
from tastemaker.nlp.embeddings import configure as configure_text_model
from tastemaker.profiles.profile import DAY_S, ProfileParams
from tastemaker.profiles.profiler import Profiler
from tastemaker.services.archiver import Archiver
from tastemaker.services.consumer import Consumer
from tastemaker.services.retention import RetentionLoop
from tastemaker.services.runner import ConsumerRunner
from tastemaker.storage.migrate import StateFile, open_store_for
from tastemaker.storage.store import Store

# The API's event loop is CPU-bound under load, and the log writer and consumers are threads that give
# up the interpreter lock around every SQLite call; with Python's default 5 ms switch interval each
# hand-back waits behind the event loop (measured: 542 appends/s beside one busy thread; 49k/s at 0.5 ms).
if TYPE_CHECKING:
    from tastemaker.storage.archive import Archive

SWITCH_INTERVAL_S = 0.0005


def log_url(config: Config) -> str:
    """The event log URL with the log settings applied (the SQLite log takes them as query parameters)."""
    url: str = config["event_log_url"]
    if not url.startswith("sqlite:") or "partitions=" in url:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}partitions={config['partitions']}&synchronous={config['log_synchronous']}"


def profile_params(config: Config) -> ProfileParams:
    return ProfileParams(
        short_half_life_s=float(config["short_half_life_days"]) * DAY_S,
        long_half_life_s=float(config["long_half_life_days"]) * DAY_S,
        top_k=int(config["profile_top_k"]),
    )


def retention_loop(config: Config, event_log: EventLog) -> RetentionLoop:
    hours, max_bytes = float(config["log_retention_hours"]), int(config["log_retention_bytes"])
    return RetentionLoop(
        event_log,
        max_age=timedelta(hours=hours) if hours > 0 else None,
        max_bytes=max_bytes if max_bytes > 0 else None,
    )


def migration_state(config: Config) -> StateFile:
    return StateFile(Path(config["migration_state"]))


def open_store(config: Config) -> Store:
    """The configured Store as every process and command must open it: following a store migration
    in progress (``tastemaker migrate``), so no write bypasses the mirror."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    return open_store_for(config["store_url"], migration_state(config), lambda url: open_backend(STORES, url))


def open_archive(config: Config) -> Archive:
    """Imported on first use: Parquet and fsspec would add a tenth of a second to every CLI command."""
    from tastemaker.storage.archive import Archive

    return Archive(
        config["archive_url"],
        buckets=int(config["archive_buckets"]),
        compact_runs=int(config["archive_compact_runs"]),
        shard_rows=int(config["archive_shard_rows"]),
    )


def catalog_consumer(config: Config, store: Store) -> Consumer:
    """Imported on first use: the audio stack (SciPy) would add 0.3 s to every CLI command."""
    from tastemaker.services.catalog import CatalogConsumer

    return CatalogConsumer(
        store, jobs=int(config["scan_jobs"]), max_duration_s=float(config["audio_max_duration_s"])
    )


@dataclass
class Platform:
    config: Config
    event_log: EventLog
    store: Store
    tracks: TrackCache
    runners: dict[str, ConsumerRunner] = field(default_factory=dict)
    retention: RetentionLoop | None = None
    _archive: Archive | None = None

    @property
    def archive(self) -> Archive:
        """The Parquet archive, opened the first time something (the archiver, a batch job) needs it."""
        if self._archive is None:
            self._archive = open_archive(self.config)
        return self._archive

    @classmethod
    def open(cls, config: Config) -> Platform:
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        configure_text_model(precision=config["nlp_precision"])
        config.data_dir.mkdir(parents=True, exist_ok=True)
        event_log: EventLog = open_backend(EVENT_LOGS, log_url(config))
        try:
            store = open_store(config)
        except BaseException:
            event_log.close()
            raise
        return cls(config=config, event_log=event_log, store=store, tracks=TrackCache(store))

    def consumer_factories(self) -> dict[str, Callable[[], Consumer]]:
        return {
            "archiver": lambda: Archiver(self.store, self.tracks, self.archive),
            "profiler": lambda: Profiler(self.store, self.tracks, profile_params(self.config)),
            "catalog": lambda: catalog_consumer(self.config, self.store),
        }

    def runner(
        self,
        name: str,
        *,
        on_batch: Callable[[str, int], None] | None = None,
        partitions: Collection[int] | None = None,
    ) -> ConsumerRunner:
        factories = self.consumer_factories()
        if name not in factories:
            msg = f"no consumer named {name!r}; choose one of {', '.join(sorted(factories))}"
            raise ConfigError(msg)
        if name not in self.runners:
            self.runners[name] = ConsumerRunner(
                self.event_log,
                factories[name](),
                batch_size=int(self.config["consumer_batch_size"]),
                idle_s=int(self.config["consumer_idle_ms"]) / 1000,
                max_retries=int(self.config["consumer_max_retries"]),
                on_batch=on_batch,
                partitions=partitions,
            )
        return self.runners[name]

    def start_consumers(self, *, on_batch: Callable[[str, int], None] | None = None) -> None:
        for name in self.consumer_factories():
            self.runner(name, on_batch=on_batch).start()
        self.retention = retention_loop(self.config, self.event_log)
        self.retention.start()

    def stop_consumers(self) -> None:
        for runner in self.runners.values():
            runner.stop()
        if self.retention is not None:
            self.retention.stop()

    def drain(self) -> None:
        """Run every consumer until caught up, in this thread (CLI commands and tests)."""
        for name in self.consumer_factories():
            self.runner(name).drain()

    def close(self) -> None:
        self.stop_consumers()
        self.event_log.close()
        self.store.close()

    def __enter__(self) -> Platform:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
