"""PostgreSQL-only behaviour of the Store (the shared contract is tests/contracts/test_store.py): URL
parameters, migrations racing between processes, reconnecting after the server drops connections,
and the errors a user sees. Each test gets a schema of its own (``options=-csearch_path=…``)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

from tastemaker.backends import STORES, open_backend
from tastemaker.errors import BackendUnavailable, ConfigError
from tastemaker.storage.models import Listen, Track
from tastemaker.storage.postgres_schema import LATEST_VERSION, masked, parse_url
from tastemaker.storage.postgres_store import PostgresStore
from tests.contracts.servers import local_postgres_url

DAY = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def server_url() -> str:
    url = os.environ.get("TASTEMAKER_TEST_POSTGRES_URL") or local_postgres_url()
    if not url:
        pytest.skip("set TASTEMAKER_TEST_POSTGRES_URL to run the PostgreSQL store tests")
    return url


@pytest.fixture
def schema_url(server_url: str) -> Iterator[str]:
    """A store URL whose tables live in a fresh schema, dropped after the test."""
    schema = f"tm_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    separator = "&" if "?" in server_url else "?"
    yield f"{server_url}{separator}options={quote(f'-csearch_path={schema}')}&application_name={schema}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def schema_of(url: str) -> str:
    return url.rsplit("application_name=", 1)[1]


def query(server_url: str, statement: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(server_url, autocommit=True) as conn:
        cur = conn.execute(statement, params)  # type: ignore[call-overload]
        return cur.fetchall() if cur.description else []


def listens_of(user_id: str, count: int) -> list[Listen]:
    return [
        Listen(user_id=user_id, event_id=f"e{i}", ts=DAY + timedelta(minutes=i), track_id="t")
        for i in range(count)
    ]


def test_url_parameters_reach_the_pool_and_libpq() -> None:
    settings = parse_url(
        "postgresql://u:pw@db.example:6543/music?pool_min=2&pool_max=4&pool_timeout_s=7"
        "&prepare_threshold=none&sslmode=disable"
    )
    assert (settings.pool_min, settings.pool_max, settings.pool_timeout_s) == (2, 4, 7)
    assert settings.prepare_threshold is None
    conninfo = psycopg.conninfo.conninfo_to_dict(settings.conninfo)
    assert conninfo == {
        "user": "u",
        "password": "pw",
        "host": "db.example",
        "port": "6543",
        "dbname": "music",
        "sslmode": "disable",
        "connect_timeout": "5",
    }
    defaults = parse_url("postgres://h/db")
    assert (defaults.pool_min, defaults.pool_max, defaults.prepare_threshold) == (1, 10, 0)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("mysql://h/db", "expected postgresql://"),
        ("postgresql://h/db?pool_min=-1", "pool_min"),
        ("postgresql://h/db?pool_max=0", "pool_max"),
        ("postgresql://h/db?pool_min=5&pool_max=2", "below pool_min"),
        ("postgresql://h/db?prepare_threshold=soon", "prepare_threshold"),
        ("postgresql://u:hunter2@h/db?cache=1", "cache"),
    ],
)
def test_bad_urls_are_config_errors_without_the_password(url: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint) as caught:
        parse_url(url)
    assert "hunter2" not in str(caught.value)


def test_masked_hides_only_the_password() -> None:
    assert masked("postgresql://me:secret@h:5/db?x=1") == "postgresql://me:***@h:5/db?x=1"
    assert masked("postgresql://me@h/db") == "postgresql://me@h/db"


def test_server_down_is_backend_unavailable_naming_the_masked_url() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(BackendUnavailable, match=r"cannot reach the server.*start PostgreSQL") as caught:
        PostgresStore.from_url(f"postgresql://me:secret@127.0.0.1:{port}/db?connect_timeout=1")
    assert f"postgresql://me:***@127.0.0.1:{port}/db" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_entry_point_opens_a_postgres_store(schema_url: str) -> None:
    store = open_backend(STORES, f"{schema_url}&pool_min=2&pool_max=3")
    try:
        assert isinstance(store, PostgresStore)
        assert (store._pool.min_size, store._pool.max_size) == (2, 3)
        assert "PostgresStore('postgresql://" in repr(store)
    finally:
        store.close()


@pytest.mark.parametrize(("threshold", "prepared"), [("0", True), ("none", False)])
def test_reads_and_writes_are_prepared_statements(schema_url: str, threshold: str, prepared: bool) -> None:
    with PostgresStore(f"{schema_url}&pool_max=1&prepare_threshold={threshold}") as store:
        store.put_profiles({"u": b"p"})
        assert store.get_profile("u") == b"p"
        assert store.add_listens(listens_of("u", 2)) == 2
        with store._pool.connection() as conn:  # the pool's only connection: the one used above
            statements = [s for (s,) in conn.execute("SELECT statement FROM pg_prepared_statements")]
    assert any("FROM profiles WHERE user_id" in s for s in statements) is prepared
    assert any("INSERT INTO profiles" in s for s in statements) is prepared
    assert any("INSERT INTO listens" in s for s in statements) is prepared


WAIT_THEN_OPEN = """
import sys
from tastemaker.storage.postgres_store import PostgresStore
print("ready", flush=True)
sys.stdin.readline()
PostgresStore.from_url(sys.argv[1]).close()
print("opened", flush=True)
"""


@pytest.mark.slow
def test_two_processes_migrating_a_fresh_database_at_once(server_url: str, schema_url: str) -> None:
    with contextlib.ExitStack() as stack:
        procs = [
            stack.enter_context(
                subprocess.Popen(
                    [sys.executable, "-c", WAIT_THEN_OPEN, schema_url],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for _ in range(3)
        ]
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=60)[0] for proc in procs]
    assert outputs == ["opened\n"] * 3
    schema = schema_of(schema_url)
    versions = query(server_url, f"SELECT version FROM {schema}.store_schema_version ORDER BY version")
    assert versions == [(v,) for v in range(1, LATEST_VERSION + 1)]
    with PostgresStore(schema_url) as store:  # reopening migrates nothing
        assert store.add_listens(listens_of("u", 3)) == 3
    assert query(server_url, f"SELECT count(*) FROM {schema}.store_schema_version") == [(LATEST_VERSION,)]


def test_newer_schema_is_backend_unavailable(server_url: str, schema_url: str) -> None:
    PostgresStore(schema_url).close()
    query(server_url, f"INSERT INTO {schema_of(schema_url)}.store_schema_version (version) VALUES (999)")
    with pytest.raises(BackendUnavailable, match="schema version 999 was written by a newer Tastemaker"):
        PostgresStore(schema_url)


def terminate_backends(server_url: str, store_url: str) -> int:
    killed = query(
        server_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
        schema_of(store_url),
    )
    assert all(ok for (ok,) in killed)
    return len(killed)


def test_reconnects_after_the_server_terminates_its_connections(server_url: str, schema_url: str) -> None:
    with PostgresStore(f"{schema_url}&pool_min=3&pool_max=3") as store:
        store.put_tracks([Track(track_id="t", name="T")])
        assert terminate_backends(server_url, schema_url) == 3
        assert store.get_track("t") == Track(track_id="t", name="T")  # a read: dead connections first
        assert terminate_backends(server_url, schema_url) >= 1
        assert store.add_listens(listens_of("u", 5)) == 5  # a write: COPY, on a fresh staging table
        assert terminate_backends(server_url, schema_url) >= 1
        assert store.add_listens(listens_of("u", 6)) == 1
        assert store.listen_days("u") == [(date(2025, 1, 1), 6)]


def test_no_free_connection_in_time_is_backend_unavailable(schema_url: str) -> None:
    with PostgresStore(f"{schema_url}&pool_max=1&pool_timeout_s=1") as store:
        with (
            store._pool.connection(),  # the only connection, busy elsewhere
            pytest.raises(BackendUnavailable, match=r"no connection within 1 s.*raise pool_max"),
        ):
            store.get_profile("u")
        assert store.get_profile("u") is None


def test_closed_store_refuses_work(schema_url: str) -> None:
    store = PostgresStore(schema_url)
    store.close()
    store.close()
    with pytest.raises(BackendUnavailable, match="is closed"):
        store.get_track("t")


def test_catalog_rows_are_jsonb_merged_on_the_server(server_url: str, schema_url: str) -> None:
    with PostgresStore(schema_url) as store:
        store.put_tracks([Track(track_id="t", name="A", genres=["rock"]), Track(track_id="t", name="B")])
    rows = query(server_url, f"SELECT data->>'name', data->'genres' FROM {schema_of(schema_url)}.tracks")
    assert rows == [("B", ["rock"])]
