"""Per-token rate limits: a token bucket per credential (per client IP without one), with ListenBrainz's
headers on every API response so that its clients pace themselves before they ever see a 429.

Headers, as api.listenbrainz.org sends them and liblistenbrainz reads them:

- ``X-RateLimit-Limit``: the bucket's size (``rate_limit_burst``),
- ``X-RateLimit-Remaining``: requests left right now,
- ``X-RateLimit-Reset-In``: seconds until the bucket is full again (what liblistenbrainz waits on),
- ``X-RateLimit-Reset``: the same moment as a UNIX time in whole seconds,
- and on a 429, ``Retry-After``: seconds until the next request is allowed.

Buckets are keyed by a SHA-256 of the credential (raw tokens are never kept) and live in one bounded,
lock-protected LRU: a bucket idle long enough to have refilled equals a fresh one and is dropped, and
at most ``MAX_BUCKETS`` are kept. Each API process keeps its own buckets (``serve --workers N`` allows
up to N times the limit).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from tastemaker.api.refusals import query_params, send_response, shaped_error

MAX_BUCKETS = 100_000
LIMITED_PREFIXES = ("/v1/", "/1/", "/2.0", "/apis/", "/spotify/")
CREDENTIAL_PARAMS = ("token", "sk", "key")
"""Query parameters that carry a credential (Last.fm session keys, Maloja keys), hashed like a header."""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_in_s: int
    retry_after_s: int

    def headers(self, now: float) -> dict[str, str]:
        result = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset-In": str(self.reset_in_s),
            "X-RateLimit-Reset": str(int(now) + self.reset_in_s),
        }
        if not self.allowed:
            result["Retry-After"] = str(self.retry_after_s)
        return result


class TokenBuckets:
    """``burst`` requests at once, refilled at ``per_minute / 60`` a second, per key."""

    def __init__(
        self,
        per_minute: int,
        burst: int,
        *,
        max_buckets: int = MAX_BUCKETS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute <= 0 or burst <= 0:
            msg = f"rate limits need per_minute > 0 and burst > 0 (got {per_minute}, {burst})"
            raise ValueError(msg)
        self.capacity = burst
        self.rate = per_minute / 60.0
        self.max_buckets = max_buckets
        self.clock = clock
        self._full_after_s = burst / self.rate
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> Decision:
        """Spend one request of ``key``'s bucket if it has one."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.pop(key, (float(self.capacity), now))
            tokens = min(float(self.capacity), tokens + (now - at) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            self._evict(now)
        reset_in = math.ceil((self.capacity - tokens) / self.rate)
        retry_after = 0 if allowed else max(1, math.ceil((1.0 - tokens) / self.rate))
        return Decision(allowed, self.capacity, int(tokens), reset_in, retry_after)

    def _evict(self, now: float) -> None:
        """Drop buckets idle long enough to be full again (oldest first), then any beyond the cap."""
        while self._buckets:
            key, (_, at) = next(iter(self._buckets.items()))
            if now - at < self._full_after_s and len(self._buckets) <= self.max_buckets:
                break
            del self._buckets[key]


def client_key(scope: Scope) -> str:
    """A hash of the request's credential, or the client's address when it sends none."""
    credential = ""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            credential = value.decode("latin-1").strip().partition(" ")[2].strip()
            break
    if not credential:
        params = query_params(scope)
        credential = next((params[p] for p in CREDENTIAL_PARAMS if params.get(p)), "")
    if credential:
        return "token:" + hashlib.sha256(credential.encode()).hexdigest()
    client: Any = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


def rate_limit_middleware(buckets: TokenBuckets | None) -> Callable[[ASGIApp], ASGIApp]:
    """An ASGI middleware that charges every API request to its key's bucket (off when ``None``)."""

    def wrap(app: ASGIApp) -> ASGIApp:
        if buckets is None:
            return app

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            path: str = scope.get("path", "")
            if scope["type"] != ScopeType.HTTP or not path.startswith(LIMITED_PREFIXES):
                await app(scope, receive, send)
                return
            decision = buckets.take(client_key(scope))
            headers = decision.headers(time.time())
            if not decision.allowed:
                error = f"too many requests; retry in {decision.retry_after_s} s (rate_limit_per_minute)"
                response = shaped_error(
                    path, 429, error, lastfm_format=query_params(scope).get("format", "xml")
                )
                await send_response(send, response, headers)
                return
            extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                await send(message)

            await app(scope, receive, send_with_headers)

        return middleware

    return wrap


def token_buckets(per_minute: int, burst: int) -> TokenBuckets | None:
    """The buckets the settings ask for: None when ``per_minute`` is 0; burst 0 means a minute's worth."""
    if per_minute <= 0:
        return None
    return TokenBuckets(per_minute, burst if burst > 0 else per_minute)
