"""Per-token rate limits: ListenBrainz's headers, 429 + Retry-After, one bucket per token, recovery."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from liblistenbrainz import ListenBrainz

from tastemaker.api.ratelimit import TokenBuckets, client_key, token_buckets
from tests.api.test_backpressure import client, serving

LIMIT = {"rate_limit_per_minute": 60, "rate_limit_burst": 3}  # 3 at once, then one a second


def remaining(response: httpx.Response) -> int:
    return int(response.headers["X-RateLimit-Remaining"])


def test_headers_count_down_then_429_then_recover(tmp_path: Path) -> None:
    with serving(tmp_path, **LIMIT) as (url, _, admin, alice):
        user = client(url, alice)
        answers = [user.get("/v1/users/alice/listens") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [remaining(a) for a in answers] == [2, 1, 0]
        first = answers[0]
        assert first.headers["X-RateLimit-Limit"] == "3"
        assert int(first.headers["X-RateLimit-Reset-In"]) == 1
        assert abs(int(first.headers["X-RateLimit-Reset"]) - (time.time() + 1)) <= 2

        refused = user.get("/v1/users/alice/listens")
        assert refused.status_code == 429
        assert refused.json()["status"] == 429 and refused.json()["ok"] is False
        assert refused.headers["Retry-After"] == "1" and remaining(refused) == 0

        lb = user.get("/1/validate-token")  # ListenBrainz's shape for its paths
        assert lb.status_code == 429 and set(lb.json()) == {"code", "error"}

        other = client(url, admin).get("/v1/users/alice/listens")  # its own bucket
        assert other.status_code == 200 and remaining(other) == 2

        time.sleep(1.1)
        again = user.get("/v1/users/alice/listens")
        assert again.status_code == 200 and remaining(again) == 0


def test_unauthenticated_requests_share_their_address_bucket(tmp_path: Path) -> None:
    with serving(tmp_path, **LIMIT) as (url, *_):
        answers = [httpx.get(f"{url}/v1/users/alice/listens") for _ in range(4)]
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert [remaining(a) for a in answers] == [2, 1, 0, 0]
        assert "X-RateLimit-Limit" not in httpx.get(f"{url}/healthz").headers  # not an API path


def test_liblistenbrainz_waits_for_the_reset_instead_of_hitting_429(tmp_path: Path) -> None:
    with serving(tmp_path, **LIMIT) as (url, _, _, alice):
        lb = ListenBrainz(api_base_url=url)
        lb.set_auth_token(alice, check_validity=False)
        for _ in range(3):
            lb.get_listens("alice")
        assert lb.remaining_requests == 0 and lb.ratelimit_reset_in is not None
        started = time.monotonic()
        assert lb.get_listens("alice") == []  # the client slept until the reset; no 429 raised
        assert time.monotonic() - started >= 0.5
        assert lb.remaining_requests is not None and lb.remaining_requests >= 0


def test_buckets_refill_and_stay_bounded() -> None:
    now = [0.0]
    buckets = TokenBuckets(60, 2, max_buckets=3, clock=lambda: now[0])
    assert [buckets.take("a").allowed for _ in range(3)] == [True, True, False]
    assert buckets.take("a").retry_after_s == 1
    now[0] += 1.0
    assert buckets.take("a").allowed
    for key in "bcdef":
        buckets.take(key)
    assert len(buckets) == 3  # the cap: least recently used go first
    now[0] += 10.0  # every bucket refilled long ago: idle ones are dropped
    buckets.take("z")
    assert len(buckets) == 1
    assert token_buckets(0, 5) is None
    assert token_buckets(120, 0) is not None and token_buckets(120, 0).capacity == 120  # type: ignore[union-attr]


def test_keys_hash_the_credential() -> None:
    scope = {
        "headers": [(b"authorization", b"Token tm_secret")],
        "query_string": b"",
        "client": ("1.2.3.4", 1),
    }
    key = client_key(scope)  # type: ignore[arg-type]
    assert key.startswith("token:") and "tm_secret" not in key
    anonymous = {"headers": [], "query_string": b"", "client": ("1.2.3.4", 1)}
    assert client_key(anonymous) == "ip:1.2.3.4"  # type: ignore[arg-type]
    by_query = {"headers": [], "query_string": b"sk=abc", "client": ("1.2.3.4", 1)}
    assert client_key(by_query).startswith("token:")  # type: ignore[arg-type]
