"""What every benchmark shares: temp folders, the server subprocess, tokens, request templates, a cheap
asyncio HTTP/1.1 load generator (closed-loop blast and open-loop paced), RSS/CPU sampling from /proc,
percentiles, and the results table.

Everything talks to 127.0.0.1 only, and every loop here is bounded by a count and by a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import http.client
import json
import logging
import os
import platform as host_platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import msgspec

from tastemaker.config import Config
from tastemaker.events.schema import Play
from tastemaker.storage.models import Track
from tastemaker.storage.store import Store

HOST = "127.0.0.1"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
BASE_TS = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_S = 365 * 24 * 3600
SLOT = b"#########"  # 9 bytes in every request template, replaced by the zero-padded batch number
TS_SLOT = b"@@@@@@@@@@@@@@@@@@@@"  # 20 bytes, replaced by a live ts such as 2026-11-27T08:40:12Z
TS_MODES = ("live", "spread")
LIVE_TS_RATE = 50_000  # events per second of ts in live mode (about the rate the server takes)
GENRES = (
    "pop", "dance pop", "indie pop", "k-pop", "synthpop", "rock", "indie rock", "classic rock", "punk",
    "metal", "hip hop", "rap", "trap", "r&b", "soul", "funk", "house", "techno", "trance", "drum and bass",
    "ambient", "jazz", "blues", "classical", "folk", "country", "bluegrass", "reggae", "latin", "afrobeats",
)  # fmt: skip


# -- small helpers ---------------------------------------------------------------------------------


def log(message: str) -> None:
    """Progress lines go to stderr, results to stdout."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values_ms)
    return {
        "count": float(len(ordered)),
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1] if ordered else float("nan"),
    }


def settle() -> None:
    """Flush other runs' dirty pages first, so that their writeback does not slow this measurement."""
    os.sync()
    time.sleep(0.5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        host_platform.machine(),
    )  # fmt: skip
    return f"{os.cpu_count()} CPUs ({model}), Python {host_platform.python_version()}"


@contextlib.contextmanager
def temp_dir(name: str, *, keep: bool = False) -> Iterator[Path]:
    """A fresh folder for one benchmark's databases, removed afterwards unless ``keep``."""
    path = Path(tempfile.mkdtemp(prefix=f"tastemaker-bench-{name}-"))
    try:
        yield path
    finally:
        if keep:
            log(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def bench_config(data_dir: Path, **settings: Any) -> Config:
    """Defaults plus ``settings``; the caller's environment and tastemaker.toml are ignored."""
    return Config.load({"data_dir": str(data_dir), **settings}, env={}, toml_path=data_dir / "no-such.toml")


def server_env(work_dir: Path, **settings: str) -> dict[str, str]:
    """The environment for a tastemaker subprocess: no inherited TASTEMAKER_* settings, no toml file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASTEMAKER_")}
    env["TASTEMAKER_CONFIG"] = str(work_dir / "no-such.toml")
    for name, value in settings.items():
        env[f"TASTEMAKER_{name.upper()}"] = value
    return env


# -- the world the events describe ----------------------------------------------------------------


def user_of(n: int, users: int) -> str:
    return f"u{n % users}"


def track_of(n: int, tracks: int) -> str:
    """Knuth's multiplicative hash: not periodic in ``n % users``, so each user plays many tracks."""
    return f"t{((n * 2654435761) & 0xFFFFFFFF) % tracks}"


def ts_of(n: int) -> datetime:
    return BASE_TS + timedelta(seconds=(n * 37) % YEAR_S)


def play_item(n: int, *, event_id: str, users: int, tracks: int) -> dict[str, Any]:
    """One play event as a client sends it (JSON-ready)."""
    return {
        "type": "play",
        "user_id": user_of(n, users),
        "track_id": track_of(n, tracks),
        "ts": ts_of(n).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ms_played": 30_000 + (n * 13) % 200_000,
        "event_id": event_id,
    }


def play_events(start: int, count: int, *, run: str, users: int, tracks: int, now: datetime) -> list[Play]:
    """Complete, already-validated play events (event_id and received_at set), for direct appends."""
    return [
        Play(
            user_id=user_of(n, users),
            track_id=track_of(n, tracks),
            ts=ts_of(n),
            ms_played=30_000 + (n * 13) % 200_000,
            event_id=f"{run}-{n}",
            received_at=now,
        )
        for n in range(start, start + count)
    ]


def fill_catalog(store: Store, *, tracks: int, artists: int) -> None:
    """Tracks ``t0..`` with an artist, a duration and two genres each, so genre lookups really happen."""
    chunk = 5_000
    for start in range(0, tracks, chunk):
        store.put_tracks(
            [
                Track(
                    track_id=f"t{i}",
                    name=f"Track {i}",
                    artist_id=f"ar{i % artists}",
                    artist_name=f"Artist {i % artists}",
                    duration_ms=120_000 + (i * 7_001) % 180_000,
                    genres=[GENRES[i % len(GENRES)], GENRES[(i * 7 + 3) % len(GENRES)]],
                )
                for i in range(start, min(tracks, start + chunk))
            ]
        )


# -- /proc -----------------------------------------------------------------------------------------


def proc_status_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB; empty once it is gone."""
    result: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return result
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            result[key] = int(value.split()[0])
    return result


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds a process (all its threads) has used; NaN once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """CPU seconds all CPUs have spent busy since boot (user+nice+system+irq+softirq+steal)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuWindow:
    """CPU used during a ``with`` block: by our processes (this one plus ``pids``) and by everything
    else on the machine. The machine is shared, so "other" says how quiet it was for the numbers."""

    def __init__(self, *pids: int) -> None:
        self.pids = pids
        self.own_cores = self.other_cores = self.wall_s = 0.0

    def _own_s(self) -> float:
        return time.process_time() + sum(proc_cpu_s(pid) for pid in self.pids)

    def __enter__(self) -> CpuWindow:
        self._t0, self._busy0, self._own0 = time.monotonic(), _machine_busy_s(), self._own_s()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.wall_s = time.monotonic() - self._t0
        own = self._own_s() - self._own0
        self.own_cores = own / self.wall_s
        self.other_cores = max(0.0, (_machine_busy_s() - self._busy0 - own) / self.wall_s)

    def as_dict(self) -> dict[str, float]:
        return {"own_cores": self.own_cores, "other_cores": self.other_cores, "wall_s": self.wall_s}


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (a ``serve --workers N`` server is several processes)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(text[text.rindex(")") + 2 :].split()[1])
    tree, frontier = [pid], [pid]
    for _ in range(64):
        frontier = [child for child, parent in parents.items() if parent in frontier]
        if not frontier:
            break
        tree += frontier
    return tree


@dataclass
class Progress:
    """A counter that the load generator bumps and samplers read (ints are safe to share under the GIL)."""

    acked: int = 0


@dataclass(frozen=True)
class RssSample:
    elapsed_s: float
    acked: int
    rss_kib: int
    hwm_kib: int


class RssSampler:
    """Samples a process's VmRSS/VmHWM every ``interval_s`` in a thread, for at most ``max_s``."""

    def __init__(self, pid: int, progress: Progress, *, interval_s: float = 1.0, max_s: float = 3600) -> None:
        self.pid = pid
        self.progress = progress
        self.interval_s = interval_s
        self.max_s = max_s
        self.samples: list[RssSample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._t0 = time.monotonic()

    def _sample(self) -> None:
        status = proc_status_kib(self.pid)
        if status:
            elapsed = time.monotonic() - self._t0
            self.samples.append(RssSample(elapsed, self.progress.acked, status["VmRSS"], status["VmHWM"]))

    def _run(self) -> None:
        for _ in range(int(self.max_s / self.interval_s) + 1):
            self._sample()
            if self._stop.wait(self.interval_s):
                break

    def __enter__(self) -> RssSampler:
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(10)
        self._sample()


class ConsumerFailures(logging.Handler):
    """Counts "consumer X failed; retrying in 1 s" records of the runner while attached (in-process)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first = ""

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if not self.first and record.exc_info and record.exc_info[1] is not None:
            self.first = f"{record.getMessage()}: {record.exc_info[1]}"

    def __enter__(self) -> ConsumerFailures:
        logging.getLogger("tastemaker.services.runner").addHandler(self)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        logging.getLogger("tastemaker.services.runner").removeHandler(self)


# -- the server subprocess -------------------------------------------------------------------------


def tastemaker_command(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tastemaker", "--data-dir", str(data_dir), *args]


def admin_token(data_dir: Path, env: Mapping[str, str]) -> str:
    """``tastemaker users add root --admin`` prints the token alone on stdout."""
    done = subprocess.run(
        tastemaker_command(data_dir, "users", "add", "root", "--admin"),
        capture_output=True, check=True, text=True, env=dict(env), timeout=60,
    )  # fmt: skip
    return done.stdout.strip()


def http_get_json(port: int, path: str, *, timeout_s: float = 5.0) -> Any:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout_s)
    try:
        conn.request("GET", path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


class Server:
    """``python -m tastemaker --data-dir DIR serve --port P`` as a subprocess; output goes to a log file."""

    def __init__(
        self, data_dir: Path, env: Mapping[str, str], *, consumers: bool = True, workers: int = 1,
        serve_args: Sequence[str] = (),
    ) -> None:  # fmt: skip
        self.data_dir = data_dir
        self.env = dict(env)
        self.consumers = consumers
        self.workers = workers
        self.serve_args = list(serve_args)
        self.port = 0
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "server not started"
        return self._process.pid

    def pids(self) -> list[int]:
        """Every process of the server (more than one with ``--workers``)."""
        return process_tree(self.pid)

    def start(self, *, timeout_s: float = 60.0) -> None:
        self.port = free_port()
        command = tastemaker_command(self.data_dir, "serve", "--port", str(self.port))
        if not self.consumers:
            command.append("--no-consumers")
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        command += self.serve_args
        with self.log_path.open("ab") as out:
            self._process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout_s
        for _ in range(int(timeout_s / 0.05) + 1):
            if self._process.poll() is not None or time.monotonic() > deadline:
                break
            with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
                http_get_json(self.port, "/healthz", timeout_s=1)
                return
            time.sleep(0.05)
        self.kill()
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"server did not start within {timeout_s} s; log {self.log_path}:\n{tail}")

    def healthz(self) -> dict[str, Any]:
        body: dict[str, Any] = http_get_json(self.port, "/healthz", timeout_s=30)
        return body

    def lags(self) -> dict[str, int]:
        return {name: int(c["lag"]) for name, c in self.healthz()["consumers"].items()}

    def consumer_failures(self) -> int:
        """How often a consumer in the server logged "failed; retrying" (the runner backs off 1 s)."""
        return self.log_path.read_text(errors="replace").count("failed; retrying")

    def log_end_total(self) -> int:
        """Events in the log: the sum of every partition's end offset, read from /metrics."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
        finally:
            conn.close()
        lines = (line for line in text.splitlines() if line.startswith("tastemaker_log_end_offset{"))
        return sum(int(float(line.rsplit(" ", 1)[1])) for line in lines)

    def wait_caught_up(self, *, timeout_s: float, report_every_s: float = 10.0) -> bool:
        """Poll /healthz until every consumer's lag is 0; False at the deadline."""
        deadline = time.monotonic() + timeout_s
        next_report = time.monotonic() + report_every_s
        for _ in range(int(timeout_s / 0.2) + 1):
            if time.monotonic() > deadline:
                break
            lags = self.lags()
            if lags and all(lag == 0 for lag in lags.values()):
                return True
            if time.monotonic() >= next_report:
                log(f"waiting for consumers: lag {lags}")
                next_report += report_every_s
            time.sleep(0.2)
        return False

    def kill(self) -> None:
        """kill -9, as a crash would."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
        if self._process is not None:
            self._process.wait(30)

    def stop(self, *, timeout_s: float = 60.0) -> None:
        """SIGTERM (graceful: consumers finish their batch), then kill -9 if it does not exit in time."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            log(f"server {self.pid} did not stop within {timeout_s} s; killing it")
            self.kill()

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# -- requests --------------------------------------------------------------------------------------


class BatchRequests:
    """Pre-encoded ``POST /v1/events`` requests: a few templates, each batch only swaps its number in.

    Batch ``b`` uses template ``b % templates``, whose events ``i`` are event number
    ``(b % templates) * batch_size + i`` (user, track) and carry event_id ``{run}-{b:09d}-{i:03d}``,
    so every batch is unique and building one costs a ``bytes.replace`` or two.

    ``ts="live"`` (the default) stamps every event of batch ``b`` with the second
    ``start + b * batch_size // LIVE_TS_RATE``: close to "now" and non-decreasing, as events from
    players are, and a function of ``b`` alone, so a retried batch is byte-for-byte the same request.
    ``ts="spread"`` gives each event its own ``ts_of(n)``, spread over a year (like an import).
    """

    def __init__(
        self,
        *,
        port: int,
        token: str,
        run: str,
        batch_size: int,
        users: int,
        tracks: int,
        templates: int = 400,
        ts: str = "live",
    ) -> None:
        if ts not in TS_MODES:
            raise ValueError(f"ts = {ts!r}: expected one of {TS_MODES}")
        self.run = run
        self.batch_size = batch_size
        self.live = ts == "live"
        self._start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
        self._ts_cache: tuple[int, bytes] = (-1, b"")
        self._templates: list[bytes] = []
        encoder = msgspec.json.Encoder()
        for k in range(templates):
            items = [
                play_item(
                    k * batch_size + i, event_id=f"{run}-{SLOT.decode()}-{i:03d}", users=users, tracks=tracks
                )
                for i in range(batch_size)
            ]
            if self.live:
                for item in items:
                    item["ts"] = TS_SLOT.decode()
            body = encoder.encode({"events": items})
            head = (
                f"POST /v1/events HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Token {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            self._templates.append(head + body)

    def _live_ts(self, batch_no: int) -> bytes:
        second = batch_no * self.batch_size // LIVE_TS_RATE
        if self._ts_cache[0] != second:
            moment = self._start + timedelta(seconds=second)
            self._ts_cache = (second, moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode())
        return self._ts_cache[1]

    def request(self, batch_no: int) -> bytes:
        request = self._templates[batch_no % len(self._templates)].replace(SLOT, b"%09d" % batch_no)
        return request.replace(TS_SLOT, self._live_ts(batch_no)) if self.live else request

    def body(self, batch_no: int) -> bytes:
        return self.request(batch_no).split(b"\r\n\r\n", 1)[1]

    def event_ids(self, batch_no: int) -> list[str]:
        return [f"{self.run}-{batch_no:09d}-{i:03d}" for i in range(self.batch_size)]


class _Accepted(msgspec.Struct):
    accepted: list[str] = []


_ACCEPTED = msgspec.json.Decoder(_Accepted)


class HttpConnection:
    """One keep-alive HTTP/1.1 connection speaking pre-encoded requests; responses need Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        self._writer.write(request)
        await self._writer.drain()
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        start = head.lower().find(b"\r\ncontent-length:")
        if start < 0:
            raise ConnectionError("response without Content-Length")
        end = head.index(b"\r\n", start + 2)
        body = await self._reader.readexactly(int(head[start + 17 : end]))
        return status, body

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await self._writer.wait_closed()


_TRANSPORT_ERRORS = (
    OSError,
    ConnectionError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    ValueError,
)
REQUEST_TIMEOUT_S = 60.0  # a request that takes longer counts as failed (TimeoutError is an OSError)


@dataclass
class BlastResult:
    acks: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, events accepted)
    acked_batches: list[int] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)
    failed_batches: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    client_cpu_s: float = 0.0
    wall_s: float = 0.0

    def accepted_between(self, start: float, end: float) -> int:
        return sum(n for t, n in self.acks if start <= t < end)


async def _blast(
    requests: BatchRequests,
    feed: deque[int],
    *,
    port: int,
    concurrency: int,
    until: float,
    progress: Progress,
    result: BlastResult,
    keep_ids: bool,
    max_reconnects: int,
) -> None:
    async def worker() -> None:
        reconnects = 0
        try:
            conn = await HttpConnection.open(port)
        except _TRANSPORT_ERRORS as exc:
            result.errors[f"connect: {type(exc).__name__}"] += 1
            return
        try:
            while feed and time.monotonic() < until:
                batch_no = feed.popleft()
                try:
                    status, body = await asyncio.wait_for(
                        conn.exchange(requests.request(batch_no)), REQUEST_TIMEOUT_S
                    )
                except _TRANSPORT_ERRORS as exc:
                    result.failed_batches.append(batch_no)
                    result.errors[f"transport: {type(exc).__name__}"] += 1
                    await conn.close()
                    reconnects += 1
                    if reconnects > max_reconnects:
                        return
                    try:
                        conn = await HttpConnection.open(port)
                    except _TRANSPORT_ERRORS:
                        return
                    continue
                if status != 202:
                    result.failed_batches.append(batch_no)
                    result.errors[f"HTTP {status}: {body[:200]!r}"] += 1
                    continue
                accepted = _ACCEPTED.decode(body).accepted
                result.acks.append((time.monotonic(), len(accepted)))
                result.acked_batches.append(batch_no)
                if keep_ids:
                    result.accepted_ids.extend(accepted)
                progress.acked += len(accepted)
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def blast(
    requests: BatchRequests,
    feed: deque[int],
    *,
    port: int,
    concurrency: int,
    duration_s: float,
    progress: Progress | None = None,
    keep_ids: bool = False,
    max_reconnects: int = 3,
    watcher: Callable[[], None] | None = None,
) -> BlastResult:
    """Closed loop: ``concurrency`` connections each send the next batch of ``feed`` as soon as the
    previous answer is in, until the feed is empty or ``duration_s`` is over. A batch whose request
    failed is put in ``failed_batches`` (never silently dropped). ``watcher`` runs every 5 ms in the
    loop (the crash benchmark kills the server from there)."""
    result = BlastResult()
    progress = progress or Progress()
    until = time.monotonic() + duration_s

    async def main() -> None:
        task = asyncio.create_task(
            _blast(requests, feed, port=port, concurrency=concurrency, until=until, progress=progress,
                   result=result, keep_ids=keep_ids, max_reconnects=max_reconnects)
        )  # fmt: skip
        while not task.done() and time.monotonic() < until + 2 * REQUEST_TIMEOUT_S:
            if watcher is not None:
                watcher()
            await asyncio.wait({task}, timeout=0.005)
        if not task.done():
            task.cancel()
            result.errors["generator cancelled at its deadline"] += 1
        with contextlib.suppress(asyncio.CancelledError):
            await task

    cpu0, t0 = time.process_time(), time.monotonic()
    asyncio.run(main())
    result.client_cpu_s, result.wall_s = time.process_time() - cpu0, time.monotonic() - t0
    return result


@dataclass
class PacedResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    client_cpu_s: float = 0.0
    wall_s: float = 0.0


def paced(
    requests: BatchRequests, *, port: int, rate: float, count: int, connections: int = 64
) -> PacedResult:
    """Open loop: request ``k`` is due at ``t0 + k / rate`` whatever happened before, and its latency is
    measured from that due time (so a stalled server is charged for the queue it causes: no
    coordinated omission). ``connections`` keep-alive connections take due requests in turn."""
    result = PacedResult()

    async def main() -> None:
        queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
        conns = [await HttpConnection.open(port) for _ in range(connections)]

        async def worker(conn: HttpConnection) -> None:
            try:
                for _ in range(count + 1):
                    item = await queue.get()
                    if item is None:
                        return
                    batch_no, due = item
                    try:
                        status, body = await asyncio.wait_for(
                            conn.exchange(requests.request(batch_no)), REQUEST_TIMEOUT_S
                        )
                    except _TRANSPORT_ERRORS as exc:
                        result.errors[f"transport: {type(exc).__name__}"] += 1
                        return
                    if status == 202:
                        result.latencies_ms.append((time.monotonic() - due) * 1000)
                    else:
                        result.errors[f"HTTP {status}: {body[:200]!r}"] += 1
            finally:
                await conn.close()

        workers = [asyncio.create_task(worker(conn)) for conn in conns]
        t0 = time.monotonic() + 0.05
        k = 0
        while k < count:
            now = time.monotonic()
            while k < count and t0 + k / rate <= now:
                queue.put_nowait((k, t0 + k / rate))
                k += 1
            if k < count:
                await asyncio.sleep(max(0.0, t0 + k / rate - time.monotonic()))
        for _ in workers:
            queue.put_nowait(None)
        _done, pending = await asyncio.wait(workers, timeout=2 * REQUEST_TIMEOUT_S)
        for task in pending:
            task.cancel()
            result.errors["worker cancelled at its deadline"] += 1
        await asyncio.gather(*pending, return_exceptions=True)

    cpu0, t0 = time.process_time(), time.monotonic()
    asyncio.run(main())
    result.client_cpu_s, result.wall_s = time.process_time() - cpu0, time.monotonic() - t0
    return result


# -- reporting -------------------------------------------------------------------------------------


@dataclass
class Row:
    metric: str
    target: str
    measured: str
    baseline: str = ""
    ratio: str = ""


def ratio(measured: float, baseline: float) -> str:
    return f"{measured / baseline:.2f}" if baseline else "n/a"


def print_table(title: str, rows: Sequence[Row]) -> None:
    """The standard five-column table: metric, target, measured, baseline, ratio."""
    print_grid(
        title,
        ["metric", "target", "measured", "baseline", "ratio"],
        [[r.metric, r.target, r.measured, r.baseline, r.ratio] for r in rows],
    )


def print_grid(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table with any columns on stdout (pastes straight into docs/benchmarks.md)."""
    cells = [list(header), *[list(r) for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n### {title}\n")
    for index, row in enumerate(cells):
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    print(flush=True)


def source_state() -> dict[str, str]:
    """The commit, and a digest of src/ as it is on disk (the working tree may differ from the commit)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted((root / "src").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=False)
    return {"git_head": head.stdout.strip(), "src_sha256": digest.hexdigest()[:16]}


def verdict(met: bool, *, quick: bool) -> str:
    """MET / NOT MET; a --quick run is a smoke test at reduced size, so it says so."""
    word = "MET" if met else "NOT MET"
    return f"{word} (quick smoke run at reduced size: not evidence for the target)" if quick else word


def save_results(name: str, data: Mapping[str, Any]) -> Path:
    """Also keep the numbers as JSON in benchmarks/results/ (git-ignored)."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    stamped = {
        "benchmark": name,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **source_state(),
        **data,
    }
    path.write_text(json.dumps(stamped, indent=2, default=str) + "\n")
    log(f"{stamped['machine']}; git {stamped['git_head'][:10]}, src/ sha256 {stamped['src_sha256']}")
    return path
