"""Request time limit (``request_timeout_s``): a slow or stuck request is answered 503 + Retry-After in
its API's error shape, so a client that sends its body a byte a minute, or a read that never ends,
cannot hold a server worker for ever. uvicorn has no such limit of its own.

What the limit covers depends on whether the request may change anything:

- **Reads** (GET, HEAD, OPTIONS) are limited until their response *starts*. At the deadline the client
  is answered at once and the handler is cancelled; a sync handler already running in a thread cannot
  be stopped (Python cannot stop a thread), so it runs on and its late answer is dropped. A response
  that has started (a streamed export or audio file) is never cut, however long its body takes.
- **Writes** (every other method) are limited only while their body arrives. The middleware reads the
  whole body first, under the deadline, and only then lets the router run; once a write's handler has
  started it is never cancelled. So a timed-out write has done nothing (``POST /v1/events`` appended
  no event), and a write that got its body runs to its real answer (``202`` with every event appended),
  however long the append takes: never half-applied. ``DELETE /v1/users/{u}`` (no body) is never limited.

The body read ahead stops at ``max_body_bytes`` (plus one chunk): beyond that, the rest is left to the
router, which answers 413 as before, so reading ahead buffers no more than the router itself would.

It is the innermost of ``create_app``'s middlewares: the rate limit and backpressure still refuse
before any body is read, and their (instant) work is not counted.

503 rather than 504 or 408: every scrobbler and HTTP library retries a 503 with Retry-After (the same
reasoning as ``backpressure.py``), and the error says which part (body or answer) was too slow.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import anyio
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from tastemaker.api.refusals import query_params, send_response, shaped_error

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER_S = 1


def request_timeout_middleware(timeout_s: float, max_body_bytes: int) -> Callable[[ASGIApp], ASGIApp]:
    """The ASGI middleware enforcing ``timeout_s`` per request (``0`` or less: off)."""

    def wrap(app: ASGIApp) -> ASGIApp:
        if timeout_s <= 0:
            return app

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
            elif scope.get("method", "GET") in READ_METHODS:
                await _read_with_deadline(app, scope, receive, send, timeout_s)
            else:
                await _write_after_body(app, scope, receive, send, timeout_s, max_body_bytes)

        return middleware

    return wrap


async def _write_after_body(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, timeout_s: float, max_body_bytes: int
) -> None:
    """Read the body under the deadline, then run the handler with no limit (see the module's doc)."""
    messages: list[ReceiveMessage] | None = None
    with anyio.move_on_after(timeout_s):
        messages = await _read_ahead(receive, max_body_bytes)
    if messages is None:
        await _refuse(scope, send, f"the request body did not arrive within {timeout_s:g} s")
        return
    pending = deque(messages)
    messages = None  # each chunk is let go once the router has taken it, as without the read-ahead

    async def replay() -> ReceiveMessage:
        if pending:
            return pending.popleft()
        return await receive()

    await app(scope, replay, send)


async def _read_ahead(receive: Receive, max_body_bytes: int) -> list[ReceiveMessage]:
    """The request's messages up to the end of its body, a disconnect, or just past ``max_body_bytes``."""
    messages: list[ReceiveMessage] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if not message.get("more_body", False) or size > max_body_bytes:
            return messages


async def _read_with_deadline(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, timeout_s: float
) -> None:
    """Run the handler; answer 503 at the deadline unless its response has started by then.

    The deadline is a timer on the event loop, not a task per request (a task group cost ~90 µs a
    request, a timer a few): only a request that does time out gets a task, which sends the 503 at
    once, even while the handler's thread runs on. (asyncio: the loop uvicorn runs the app on.)"""
    loop = asyncio.get_running_loop()
    started = False
    refusal: asyncio.Task[None] | None = None

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if refusal is not None:
            return  # our 503 went out: the handler's late answer has nowhere to go
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    with anyio.CancelScope() as limit:

        def on_deadline() -> None:
            nonlocal refusal
            if not started:
                refusal = loop.create_task(_refuse(scope, send, f"no answer within {timeout_s:g} s"))
                limit.cancel()  # the handler: at once if async, when its thread returns if not

        timer = loop.call_later(timeout_s, on_deadline)
        try:
            await app(scope, receive, guarded_send)
        finally:
            timer.cancel()
    if refusal is not None:
        await refusal


async def _refuse(scope: Scope, send: Send, error: str) -> None:
    path: str = scope["path"]
    message = f"{error} (request_timeout_s); retry"
    response = shaped_error(
        path, 503, message, lastfm_format=query_params(scope).get("format", "xml"),
        reason="request_timeout", retry_after_s=RETRY_AFTER_S,
    )  # fmt: skip
    await send_response(send, response, {"Retry-After": str(RETRY_AFTER_S)})
