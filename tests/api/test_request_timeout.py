"""``request_timeout_s``: a slow-sending client and a slow read are answered 503 in the API's shape on
time; a write that got its body (ingest included) is never cut, so it is applied whole or not at all.

The real app over loopback for ingest (a raw socket plays the slow client); a tiny app with
deliberately slow routes, behind the same middleware and served by uvicorn, for the rest.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, get, post
from litestar.params import JSONBody
from litestar.response import Stream

from tastemaker.accounts import create_user
from tastemaker.api.app import create_app
from tastemaker.api.timeouts import request_timeout_middleware
from tastemaker.config import Config
from tastemaker.platform import Platform
from tests.conftest import LiveServer, serving

TIMEOUT_S = 0.5
START = datetime(2025, 3, 1, tzinfo=UTC)
FAST = 0.2  # the tiny app's limit


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config.load(
        {"data_dir": str(tmp_path / "data"), "log_synchronous": "NORMAL", "request_timeout_s": TIMEOUT_S},
        env={},
    )


def play(n: int) -> dict[str, Any]:
    return {
        "type": "play",
        "ts": (START + timedelta(seconds=n)).isoformat().replace("+00:00", "Z"),
        "track_name": f"Song {n % 7}",
        "artist_name": f"Artist {n % 3}",
        "ms_played": 120_000,
    }


def appended(server: LiveServer) -> int:
    return sum(server.platform.event_log.end_offsets().values())


def raw_request(url: str, head: str, body: bytes, *, wait_s: float) -> tuple[float, bytes]:
    """Send ``head`` and half of ``body``, then stall: the seconds until the whole answer is in, and it."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait_s) as sock:
        started = time.monotonic()
        sock.sendall(head.encode() + body[: len(body) // 2])
        answer = b""
        while not complete(answer):
            chunk = sock.recv(65536)  # a TimeoutError here: no answer within wait_s
            if not chunk:
                break
            answer += chunk
        return time.monotonic() - started, answer


def complete(answer: bytes) -> bool:
    _, found, body = answer.partition(b"\r\n\r\n")
    if not found:
        return False
    length = split_response(answer)[1].get("content-length")
    return length is not None and len(body) >= int(length)


def split_response(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def test_a_slow_ingest_body_is_refused_in_time_and_appends_nothing(live_server: LiveServer) -> None:
    body = json.dumps({"events": [play(n) for n in range(50)]}).encode()
    head = (
        f"POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Token {live_server.user_token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    elapsed, answer = raw_request(live_server.url, head, body, wait_s=5)
    status, headers, payload = split_response(answer)
    assert status == 503, answer
    assert TIMEOUT_S * 0.9 <= elapsed < TIMEOUT_S + 1.0
    assert headers["retry-after"] == "1"
    error = json.loads(payload)
    assert (error["ok"], error["status"], error["reason"]) == (False, 503, "request_timeout")
    assert "request body did not arrive within 0.5 s" in error["error"]
    assert appended(live_server) == 0  # the half-sent batch appended nothing

    with live_server.client(live_server.user_token) as client:  # the same batch, sent normally
        response = client.post("/v1/events", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 202, response.text
    assert len(response.json()["accepted"]) == 50 and appended(live_server) == 50


def test_ingest_under_a_tiny_limit_is_202_and_whole_or_503_and_nothing(tmp_path: Path) -> None:
    """A 1000-event batch takes far longer than 10 ms to validate and append: were the handler cut at
    the deadline, a batch would come back 503 with its events appended (or some of them)."""
    settings = {"data_dir": str(tmp_path / "tiny"), "log_synchronous": "NORMAL", "request_timeout_s": 0.01}
    with Platform.open(Config.load(settings, env={})) as platform:
        token = create_user(platform.store, "bob", admin=False, rotate=False)
        server = LiveServer(url="", platform=platform, admin_token="", user_token=token)
        with serving(create_app(platform, run_consumers=False)) as url:
            server.url = url
            answered = []
            with server.client(token) as client:
                for batch in range(4):
                    before = appended(server)
                    events = [play(1000 * batch + n) for n in range(1000)]
                    response = client.post("/v1/events", json={"events": events})
                    answered.append(response.status_code)
                    if response.status_code == 202:
                        assert len(response.json()["accepted"]) == 1000
                        assert appended(server) == before + 1000
                    else:  # the body itself was slower than 10 ms
                        assert response.status_code == 503, response.text
                        assert appended(server) == before
    assert 202 in answered, answered


def test_normal_reads_pass_under_the_limit(live_server: LiveServer) -> None:
    with live_server.client(live_server.user_token) as client:
        assert client.post("/v1/events", json={"events": [play(n) for n in range(30)]}).status_code == 202
        live_server.wait_consumers()
        assert client.get("/v1/users/alice/profile").json()["plays"] == 30
        assert client.get("/v1/users/alice/listens").json()["total"] == 30


# The tiny app: deliberately slow routes behind the middleware.

done: list[str] = []


@get("/v1/slow-async")
async def slow_async() -> dict[str, str]:
    await asyncio.sleep(5)
    done.append("async")
    return {"late": "yes"}


@get("/v1/slow-sync", sync_to_thread=True)
def slow_sync() -> dict[str, str]:
    time.sleep(4 * FAST)
    done.append("sync")
    return {"late": "yes"}


@get("/v1/slow-fail", sync_to_thread=True)
def slow_fail() -> dict[str, str]:
    time.sleep(4 * FAST)
    done.append("fail")
    msg = "late and broken"
    raise RuntimeError(msg)


@get("/2.0/")
async def slow_lastfm() -> dict[str, str]:
    await asyncio.sleep(5)
    return {}


@get("/v1/streamed")
async def streamed() -> Stream:
    async def chunks() -> AsyncIterator[bytes]:
        for n in range(5):
            await asyncio.sleep(FAST)
            yield f"chunk{n};".encode()

    return Stream(chunks(), media_type="text/plain")


@post("/v1/slow-write", status_code=201)
async def slow_write(request: Request[Any, Any, Any]) -> dict[str, int]:
    body = await request.body()
    await asyncio.sleep(4 * FAST)
    done.append(f"write {len(body)}")
    return {"bytes": len(body)}


@post("/v1/slow-write-sync", status_code=201, sync_to_thread=True)
def slow_write_sync(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    time.sleep(4 * FAST)
    done.append(f"write-sync {data['n']}")
    return data


HANDLERS = [slow_async, slow_sync, slow_fail, slow_lastfm, streamed, slow_write, slow_write_sync]


@pytest.fixture
def tiny() -> Iterator[str]:
    done.clear()
    app = Litestar(HANDLERS, middleware=[request_timeout_middleware(FAST, 1000)], request_max_body_size=1000)
    with serving(app) as url:
        yield url


def timed(call: Any) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = call()
    return time.monotonic() - started, response


def test_a_slow_async_read_is_answered_503_at_the_deadline_and_cancelled(tiny: str) -> None:
    elapsed, response = timed(lambda: httpx.get(f"{tiny}/v1/slow-async", timeout=10))
    assert response.status_code == 503 and FAST * 0.9 <= elapsed < FAST + 1.0
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert (body["ok"], body["status"], body["reason"]) == (False, 503, "request_timeout")
    assert body["error"] == "no answer within 0.2 s (request_timeout_s); retry"
    time.sleep(0.3)
    assert done == []  # cancelled: it never finished


def test_a_slow_sync_read_is_answered_before_its_thread_returns(tiny: str) -> None:
    elapsed, response = timed(lambda: httpx.get(f"{tiny}/v1/slow-sync", timeout=10))
    assert response.status_code == 503 and elapsed < 3 * FAST  # the thread needs 4 * FAST
    time.sleep(5 * FAST)
    assert done == ["sync"]  # a thread cannot be stopped: it ran on, its answer dropped


def test_a_late_handler_error_is_not_a_second_answer(tiny: str) -> None:
    with httpx.Client(base_url=tiny, timeout=10) as client:  # one connection: a second answer would break it
        assert client.get("/v1/slow-fail").status_code == 503
        time.sleep(5 * FAST)
        assert done == ["fail"]  # it did fail, after the 503 went out
        streamed = client.get("/v1/streamed")
        assert streamed.status_code == 200 and streamed.text.startswith("chunk0;")


def test_a_timed_out_lastfm_call_answers_in_lastfm_shape(tiny: str) -> None:
    response = httpx.get(f"{tiny}/2.0/", params={"method": "user.getinfo", "format": "json"}, timeout=10)
    assert response.status_code == 503
    assert response.json()["error"] == 11  # Last.fm's "service offline": scrobblers retry it


def test_a_response_started_in_time_is_never_cut(tiny: str) -> None:
    elapsed, response = timed(lambda: httpx.get(f"{tiny}/v1/streamed", timeout=10))
    assert response.status_code == 200 and elapsed >= 5 * FAST
    assert response.text == "".join(f"chunk{n};" for n in range(5))


def test_a_write_with_its_body_runs_to_its_answer_past_the_deadline(tiny: str) -> None:
    elapsed, response = timed(lambda: httpx.post(f"{tiny}/v1/slow-write", content=b"x" * 500, timeout=10))
    assert response.status_code == 201 and response.json() == {"bytes": 500}
    assert elapsed >= 4 * FAST
    elapsed, response = timed(lambda: httpx.post(f"{tiny}/v1/slow-write-sync", json={"n": 7}, timeout=10))
    assert response.status_code == 201 and response.json() == {"n": 7}
    assert done == ["write 500", "write-sync 7"]


def test_a_slow_write_body_never_reaches_the_handler(tiny: str) -> None:
    body = b"x" * 600
    head = f"POST /v1/slow-write HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    elapsed, answer = raw_request(tiny, head, body, wait_s=5)
    status, _, payload = split_response(answer)
    assert status == 503 and FAST * 0.9 <= elapsed < FAST + 1.0
    assert json.loads(payload)["reason"] == "request_timeout"
    time.sleep(5 * FAST)
    assert done == []


def test_an_oversized_body_is_still_413(tiny: str) -> None:
    response = httpx.post(f"{tiny}/v1/slow-write", content=b"x" * 5000, timeout=10)
    assert response.status_code == 413
    assert done == []


def test_zero_turns_the_limit_off() -> None:
    app = Litestar([slow_sync], middleware=[request_timeout_middleware(0, 1000)])
    done.clear()
    with serving(app) as url:
        response = httpx.get(f"{url}/v1/slow-sync", timeout=10)
    assert response.status_code == 200 and done == ["sync"]
