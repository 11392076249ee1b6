"""A small OpenAI-compatible chat-completions server on loopback, deterministic per track: the
user message is the labeler's prompt (JSON with ``track_id``), and the track id picks the behaviour."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD = {
    "genre": "Rock",
    "mood": "melancholic",
    "activity": None,
    "vocal": "vocal",
    "era": "90s",
    "confidence": 0.8,
}
SLOW_S = 1.0


class ChatStub(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[dict[str, Any]]
    headers_seen: list[dict[str, str]]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet too: the slow answer goes to a client that already gave up (a broken pipe, on purpose)."""


def _content(track_id: str) -> str | None:
    if track_id.startswith("good"):
        return json.dumps(GOOD)
    if track_id.startswith("fenced"):
        return "```json\n" + json.dumps({"genre": "jazz", "mood": "chill"}) + "\n```"
    if track_id.startswith("prose"):
        return "Sure! This one is a rock song, quite sad."
    if track_id.startswith("list"):
        return json.dumps(["rock", "sad"])
    return None


class Handler(BaseHTTPRequestHandler):
    server: ChatStub

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read what the stub saw from ``server.requests``."""

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, **request})
        self.server.headers_seen.append(dict(self.headers))
        track_id = json.loads(request["messages"][-1]["content"])["track_id"]
        if self.path != "/v1/chat/completions":
            self._send(404, b'{"error": "not found"}')
        elif track_id.startswith("error"):
            self._send(500, b'{"error": {"message": "the model is on fire"}}')
        elif track_id.startswith("slow"):
            time.sleep(SLOW_S)
            self._send(200, b"{}")
        elif track_id.startswith("garbage"):
            self._send(200, b"<html>not json</html>")
        else:
            message = {"role": "assistant", "content": _content(track_id)}
            self._send(200, json.dumps({"choices": [{"index": 0, "message": message}]}).encode())


@contextmanager
def chat_stub() -> Iterator[ChatStub]:
    server = ChatStub(("127.0.0.1", 0), Handler)
    server.requests, server.headers_seen = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
