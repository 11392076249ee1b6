"""Events to the Tastemaker API: ``POST {url}/v1/events`` with ``{"events": [...]}`` batches.

Batches are sent by a few threads over one keep-alive ``httpx.Client``; at most ``2 × concurrency``
batches are in flight or queued, so a slow server slows the simulator down instead of filling memory.
Connection errors, 5xx and 429 are retried with exponential backoff (``Retry-After`` is honoured); any
other 4xx means the request itself is wrong, so it stops the run with the server's message. Items the
server rejects inside an accepted batch (202 with ``errors``) are counted in ``rejected``, logged, and
do not stop the run. The server deduplicates on ``event_id``, so a retried batch is harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import msgspec

from tastemaker.events.schema import Event
from tastemaker.simulate.sinks import SinkBase, SinkError

log = logging.getLogger(__name__)
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class HttpSink(SinkBase):
    """Send events to the API at ``url`` with an (admin) ``token``, ``batch_size`` events per request."""

    def __init__(
        self,
        url: str,
        *,
        token: str,
        batch_size: int = 500,
        concurrency: int = 4,
        max_retries: int = 6,
        backoff_s: float = 0.5,
        max_backoff_s: float = 10.0,
        timeout_s: float = 60.0,
    ) -> None:
        self.endpoint = url.rstrip("/") + "/v1/events"
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.Client(headers=headers, timeout=timeout_s, limits=limits)
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="simulate-http")
        self._slots = threading.BoundedSemaphore(2 * concurrency)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._encoder = msgspec.json.Encoder()
        self._pending: list[bytes] = []
        self._futures: set[Future[None]] = set()
        self._error: BaseException | None = None
        self.sent = 0  # events the server accepted
        self.rejected = 0  # events the server refused inside accepted batches
        self.rejections: list[dict[str, Any]] = []  # the first few of those refusals
        self.retries = 0

    def write(self, events: Sequence[Event]) -> None:
        encode = self._encoder.encode
        for event in events:
            self._pending.append(encode(event))
            if len(self._pending) >= self.batch_size:
                self._submit()

    def _submit(self) -> None:
        self._raise_error()
        batch, self._pending = self._pending, []
        body = b'{"events":[' + b",".join(batch) + b"]}"
        self._slots.acquire()
        future = self._pool.submit(self._post, body, len(batch))
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        self._slots.release()
        with self._lock:
            self._futures.discard(future)
            error = None if future.cancelled() else future.exception()
            if error is not None and self._error is None:
                self._error = error
                self._stop.set()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _post(self, body: bytes, count: int) -> None:
        for attempt in range(self.max_retries + 1):
            if self._stop.is_set():
                return
            delay = min(self.max_backoff_s, self.backoff_s * 2**attempt)
            try:
                response = self._client.post(self.endpoint, content=body)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    self._accepted(response, count)
                    return
                problem = f"HTTP {response.status_code}: {_message(response)}"
                if response.status_code not in _RETRY_STATUSES:
                    msg = f"{self.endpoint} refused a batch of {count} events: {problem}"
                    raise SinkError(msg)
                delay = min(self.max_backoff_s, _retry_after(response, delay))
            if attempt == self.max_retries:
                break
            with self._lock:
                self.retries += 1
            log.info("retrying a batch of %d events in %.1f s (%s)", count, delay, problem)
            self._stop.wait(delay)
        tries = self.max_retries + 1
        msg = f"{self.endpoint}: gave up on a batch of {count} events after {tries} tries: {problem}"
        raise SinkError(msg)

    def _accepted(self, response: httpx.Response, count: int) -> None:
        try:
            errors = response.json().get("errors") or []
        except (ValueError, AttributeError):
            errors = []
        with self._lock:
            self.sent += count - len(errors)
            self.rejected += len(errors)
            self.rejections.extend(errors[: max(0, 10 - len(self.rejections))])
        if errors:
            log.warning("the server rejected %d of %d events: %s", len(errors), count, errors[0])

    def close(self) -> None:
        """Send what is buffered, wait for every batch, and raise the first failure if any."""
        try:
            if self._pending:
                self._submit()
            self._pool.shutdown(wait=True)
        finally:
            self._client.close()
        self._raise_error()

    def abort(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()


def _message(response: httpx.Response) -> str:
    """The server's own words: its ``error`` and first item errors, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if not isinstance(body, dict):
        return response.text[:300]
    items = "; ".join(str(e.get("msg", e)) for e in (body.get("errors") or [])[:3] if isinstance(e, dict))
    return f"{body.get('error', '')}{' — ' + items if items else ''}" or response.text[:300]


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return default
