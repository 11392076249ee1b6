"""Sinks round-trip what they are given: NDJSON, Parquet, and real loopback HTTP with retries."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import msgspec
import pyarrow.dataset as ds
import pytest

from tastemaker.events.schema import Event
from tastemaker.events.sqlite_log import SQLiteEventLog
from tastemaker.simulate import NdjsonSink, NullSink, SinkError, World, events, open_sink, run_simulation
from tastemaker.simulate.http_sink import HttpSink
from tastemaker.simulate.log_sink import LogSink
from tastemaker.simulate.parquet_sink import ParquetSink

START = date(2024, 5, 1)
PARAMS: dict[str, Any] = {"seed": 4, "users": 30, "tracks": 500, "days": 3, "start": START}


@pytest.fixture(scope="module")
def sample() -> list[Event]:
    world = World.build(seed=4, users=30, tracks=500, start=START, days=3)
    return list(events(world))


def as_json(event: Event) -> Any:
    return json.loads(msgspec.json.encode(event))


def test_run_simulation_returns_the_count_and_honours_the_limit(sample: list[Event]) -> None:
    sink = NullSink()
    assert run_simulation(**PARAMS, sink=sink, progress=False) == len(sample) == sink.count
    assert run_simulation(**PARAMS, sink=NullSink(), limit_events=1234, progress=False) == 1234


def test_ndjson_file_round_trips_and_appears_only_when_complete(tmp_path: Path, sample: list[Event]) -> None:
    path = tmp_path / "out" / "events.ndjson"
    written = run_simulation(**PARAMS, sink=open_sink("ndjson", str(path)), progress=False)
    lines = path.read_bytes().splitlines()
    assert written == len(lines) == len(sample)
    assert [json.loads(line) for line in lines] == [as_json(e) for e in sample]
    assert not list(path.parent.glob("*.partial"))


def test_ndjson_aborted_leaves_nothing(tmp_path: Path, sample: list[Event]) -> None:
    path = tmp_path / "events.ndjson"
    with pytest.raises(RuntimeError), NdjsonSink(path) as sink:
        sink.write(sample[:10])
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_ndjson_to_a_stream(sample: list[Event]) -> None:
    out = io.BytesIO()
    with NdjsonSink(None, stream=out) as sink:
        sink.write(sample[:5])
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [as_json(e) for e in sample[:5]]


def test_parquet_partitions_by_day_and_round_trips(tmp_path: Path, sample: list[Event]) -> None:
    with ParquetSink(tmp_path, row_group_rows=1_000) as sink:
        for start in range(0, len(sample), 700):
            sink.write(sample[start : start + 700])
    days = sorted(p.name for p in tmp_path.iterdir())
    assert days[:3] == ["date=2024-05-01", "date=2024-05-02", "date=2024-05-03"]
    assert not list(tmp_path.rglob("*.partial"))
    table = ds.dataset(tmp_path, format="parquet", partitioning="hive").to_table()
    rows = sorted(table.to_pylist(), key=lambda row: row["event_id"])
    expected = sorted(sample, key=lambda e: e.event_id)
    assert len(rows) == len(expected)
    for row, event in zip(rows, expected, strict=True):
        assert row["event_id"] == event.event_id and row["user_id"] == event.user_id
        assert row["type"] == event.__struct_config__.tag
        assert row["ts"] == event.ts
        assert row["track_id"] == getattr(event, "track_id", None)
        assert row["ms_played"] == getattr(event, "ms_played", None)
        assert json.loads(row["payload"]) == as_json(event)
        assert str(row["date"]) == event.ts.date().isoformat()


@dataclass
class Recorder:
    """What the loopback server received, and the statuses it should answer with first."""

    script: list[int] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real server

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with recorder.lock:
                status = recorder.script.pop(0) if recorder.script else 202
                recorder.statuses.append(status)
                recorder.headers.append({**self.headers, "path": self.path})
                if status == 202:
                    recorder.bodies.append(json.loads(body))
            reply = {"ok": status == 202, "errors": []}
            if status == 400:
                reply["error"] = "ts is before 2002-10-01"
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 429:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(recorder))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", recorder
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_http_sink_posts_batches_of_500_with_the_token_and_retries(
    server: tuple[str, Recorder], sample: list[Event]
) -> None:
    url, recorder = server
    recorder.script = [503, 429]
    sink = HttpSink(url, token="s3cret", concurrency=3, backoff_s=0.01)
    written = run_simulation(**PARAMS, sink=sink, progress=False)
    assert written == len(sample) == sink.sent
    assert sink.retries == 2 and recorder.statuses[:2] == [503, 429]
    assert all(len(body["events"]) <= 500 for body in recorder.bodies)
    assert sum(len(body["events"]) == 500 for body in recorder.bodies) == len(sample) // 500
    received = sorted((e for body in recorder.bodies for e in body["events"]), key=lambda e: e["event_id"])
    assert received == sorted((as_json(e) for e in sample), key=lambda e: e["event_id"])
    assert {h["path"] for h in recorder.headers} == {"/v1/events"}
    assert {h["Authorization"] for h in recorder.headers} == {"Token s3cret"}


def test_http_sink_stops_on_a_client_error_with_the_servers_message(
    server: tuple[str, Recorder], sample: list[Event]
) -> None:
    url, recorder = server
    recorder.script = [400] * 50
    with pytest.raises(SinkError, match=r"HTTP 400: ts is before 2002-10-01"):
        run_simulation(**PARAMS, sink=HttpSink(url, token="t", backoff_s=0.01), progress=False)


def test_http_sink_gives_up_after_its_retries(server: tuple[str, Recorder], sample: list[Event]) -> None:
    url, recorder = server
    recorder.script = [503] * 50
    sink = HttpSink(url, token="t", concurrency=1, max_retries=2, backoff_s=0.001)
    with pytest.raises(SinkError, match="after 3 tries: HTTP 503"):
        sink.write(sample[:10])
        sink.close()


def test_http_sink_retries_connection_errors_then_gives_up(sample: list[Event]) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = HttpSink(f"http://127.0.0.1:{port}", token="t", max_retries=1, backoff_s=0.001)
    with pytest.raises(SinkError, match="after 2 tries: ConnectError"):
        sink.write(sample[:600])
        sink.close()


def test_open_sink_explains_what_it_needs(tmp_path: Path) -> None:
    with pytest.raises(SinkError, match="needs --token"):
        open_sink("http://127.0.0.1:8000")
    with pytest.raises(SinkError, match="needs a destination"):
        open_sink("parquet")
    with pytest.raises(SinkError, match="expected ndjson, parquet"):
        open_sink("csv", "x")
    sink = open_sink("parquet", str(tmp_path))
    assert isinstance(sink, ParquetSink)
    sink.close()


def test_log_sink_appends_once_and_a_rerun_adds_nothing(tmp_path: Path, sample: list[Event]) -> None:
    log = SQLiteEventLog(tmp_path / "events.db", synchronous="NORMAL")
    try:
        assert run_simulation(**PARAMS, sink=LogSink(log), progress=False) == len(sample)
        ends = log.end_offsets()
        assert sum(ends.values()) == len(sample)
        run_simulation(**PARAMS, sink=LogSink(log), progress=False)
        assert log.end_offsets() == ends
        records = log.poll("check", len(sample) + 1).records
        assert sorted(r.event.event_id for r in records) == sorted(e.event_id for e in sample)
    finally:
        log.close()


def test_parts_split_catalog_from_listening(sample: list[Event]) -> None:
    catalog, listening = NullSink(), NullSink()
    assert run_simulation(**PARAMS, sink=catalog, part="catalog", progress=False) == 500
    assert run_simulation(**PARAMS, sink=listening, part="listening", progress=False) == len(sample) - 500
    with pytest.raises(ValueError, match="expected one of all, catalog, listening"):
        run_simulation(**PARAMS, sink=NullSink(), part="everything", progress=False)
