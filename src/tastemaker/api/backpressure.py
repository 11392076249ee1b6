"""Ingest backpressure: refuse new listens with 503 + Retry-After while the consumers are too far behind
or the event log's files are too large, instead of letting lag and disk grow until something falls over.

Only the listen-ingest paths are guarded (``INGEST_PATHS``); reads and everything else keep working, so
people still see their data while the consumers catch up. A refused request is answered before its body
is read, so it appends nothing: all-or-nothing per request, and whatever was acknowledged before stays
in the log. The log is sampled at most every ``SAMPLE_INTERVAL_S`` (a few small reads), never per
request, so a bound is soft by about that much ingest.

Both bounds answer **503** (not 507): every scrobbler and HTTP library retries a 503 that carries
Retry-After (liblistenbrainz's urllib3 retry does), while 507 is WebDAV's and most clients would drop
the listen. The disk case differs in its message and ``reason`` and asks for the longest wait, since
space comes back only through retention or an operator.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import anyio
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from tastemaker.api.refusals import LASTFM_PREFIX, peek_form, query_params, send_response, shaped_error
from tastemaker.events.log import EventLog
from tastemaker.platform import Platform, log_url

log = logging.getLogger(__name__)

SAMPLE_INTERVAL_S = 0.5
RATE_WINDOW_S = 5.0
RETRY_MIN_S, RETRY_MAX_S = 1, 60
INGEST_PATHS = frozenset({"/v1/events", "/1/submit-listens", "/2.0/", "/2.0", "/apis/mlj_1/newscrobble"})
LASTFM_WRITES = frozenset({"track.scrobble"})


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str  # "consumer_lag" or "log_disk"
    error: str
    retry_after_s: int


def sqlite_log_files(url: str) -> list[Path]:
    """The files a ``sqlite://`` log occupies (main file, -wal, -shm); none for other backends."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or not parts.path[1:]:
        return []
    path = Path(unquote(parts.path[1:]))
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm")]


def files_size(paths: Iterable[Path]) -> int:
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total


class LogPressure:
    """The latest lag and log size, re-read when older than ``interval_s``; thread-safe.

    Lag is that of the slowest consumer group (the one that decides when the log can be trimmed and
    when new listens show up everywhere); Retry-After is how long that group needs, at the rate it
    committed over the last ``RATE_WINDOW_S``, to come back under the bound, clamped to 1-60 s."""

    def __init__(
        self,
        event_log: EventLog,
        groups: Callable[[], Iterable[str]],
        *,
        max_lag: int,
        max_bytes: int,
        log_files: Iterable[Path] = (),
        interval_s: float = SAMPLE_INTERVAL_S,
    ) -> None:
        self.event_log = event_log
        self.groups = groups
        self.max_lag = max_lag
        self.max_bytes = max_bytes
        self.log_files = list(log_files)
        self.interval_s = interval_s
        self.lag = 0
        self.log_bytes = 0
        self.consume_rate = 0.0
        self._sampled_at = -math.inf
        self._history: deque[tuple[float, dict[str, int]]] = deque()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_lag > 0 or (self.max_bytes > 0 and bool(self.log_files))

    def stale(self) -> bool:
        return time.monotonic() - self._sampled_at >= self.interval_s

    def refresh(self) -> None:
        """Sample lag and size; a refresh already running in another thread makes this one a no-op."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            now = time.monotonic()
            if self.max_lag > 0:
                self._sample_lag(now)
            if self.max_bytes > 0 and self.log_files:
                self.log_bytes = files_size(self.log_files)
            self._sampled_at = now
        except Exception:  # a failing log read must not fail ingest here; the append reports it
            log.exception("backpressure: sampling the event log failed; keeping the previous sample")
            self._sampled_at = time.monotonic()
        finally:
            self._lock.release()

    def _sample_lag(self, now: float) -> None:
        end = self.event_log.end_offsets()
        committed: dict[str, int] = {}
        lags: dict[str, int] = {}
        for group in self.groups():
            done = self.event_log.committed(group)
            committed[group] = sum(min(done.get(p, 0), end[p]) for p in end)
            lags[group] = sum(max(0, end[p] - done.get(p, 0)) for p in end)
        self._history.append((now, committed))
        while len(self._history) > 2 and now - self._history[1][0] >= RATE_WINDOW_S:
            self._history.popleft()
        self.lag = max(lags.values(), default=0)
        slowest = max(lags, key=lags.__getitem__, default=None)
        then, before = self._history[0]
        if slowest is None or now <= then:
            self.consume_rate = 0.0
        else:
            self.consume_rate = max(0.0, (committed[slowest] - before.get(slowest, 0)) / (now - then))

    def refusal(self) -> Refusal | None:
        """Why ingest must wait now, from the latest sample; None when it may go on."""
        if self.max_bytes > 0 and self.log_files and self.log_bytes > self.max_bytes:
            error = (
                f"the event log uses {self.log_bytes:,} bytes, over ingest_max_log_bytes "
                f"({self.max_bytes:,}); retry later (retention or an operator must free space)"
            )
            return Refusal("log_disk", error, RETRY_MAX_S)
        if self.max_lag > 0 and self.lag > self.max_lag:
            excess = self.lag - self.max_lag
            wait = excess / self.consume_rate if self.consume_rate > 0 else RETRY_MAX_S
            retry = min(RETRY_MAX_S, max(RETRY_MIN_S, math.ceil(wait)))
            error = (
                f"the consumers are {self.lag:,} events behind, over ingest_max_lag_events "
                f"({self.max_lag:,}); retry in {retry} s"
            )
            return Refusal("consumer_lag", error, retry)
        return None


def log_pressure(platform: Platform) -> LogPressure:
    """The platform's bounds; the disk bound only where the log has local files (not Kafka)."""
    max_bytes = int(platform.config["ingest_max_log_bytes"])
    files = sqlite_log_files(log_url(platform.config))
    if max_bytes > 0 and not files:
        log.warning("ingest_max_log_bytes is set but the event log has no local files (Kafka?); ignored")
    return LogPressure(
        platform.event_log,
        lambda: list(platform.consumer_factories()),
        max_lag=int(platform.config["ingest_max_lag_events"]),
        max_bytes=max_bytes,
        log_files=files,
    )


def backpressure_middleware(pressure: LogPressure) -> Callable[[ASGIApp], ASGIApp]:
    """An ASGI middleware answering ingest requests with 503 + Retry-After while a bound is passed."""

    def wrap(app: ASGIApp) -> ASGIApp:
        if not pressure.enabled:
            return app

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if (
                scope["type"] != ScopeType.HTTP
                or scope.get("method") != "POST"
                or scope["path"] not in INGEST_PATHS
            ):
                await app(scope, receive, send)
                return
            if pressure.stale():
                await anyio.to_thread.run_sync(pressure.refresh)
            refusal = pressure.refusal()
            if refusal is None:
                await app(scope, receive, send)
                return
            path: str = scope["path"]
            fmt = query_params(scope).get("format", "xml")
            if path.startswith(LASTFM_PREFIX):
                fields, receive = await peek_form(receive)
                if fields.get("method", query_params(scope).get("method", "")).lower() not in LASTFM_WRITES:
                    await app(scope, receive, send)  # a session request or now-playing: not a listen
                    return
                fmt = fields.get("format", fmt)
            response = shaped_error(
                path, 503, refusal.error, lastfm_format=fmt, reason=refusal.reason,
                retry_after_s=refusal.retry_after_s,
            )  # fmt: skip
            await send_response(send, response, {"Retry-After": str(refusal.retry_after_s)})

        return middleware

    return wrap
