"""Fixtures of the contract suites: each Protocol's suite runs once per backend URL.

Embedded backends run in ``tmp_path`` every time; a backend that needs a server runs only when its
``TASTEMAKER_TEST_*_URL`` variable is set, and is skipped with a reason naming the variable.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tastemaker.backends import EVENT_LOGS, STORES, open_backend
from tastemaker.events.log import EventLog
from tastemaker.storage.store import Store
from tests.contracts.servers import local_kafka_url, local_postgres_url

STORE_SERVER_URL_VARS = {
    "postgresql": "TASTEMAKER_TEST_POSTGRES_URL",
    "cassandra": "TASTEMAKER_TEST_CASSANDRA_URL",
}


@pytest.fixture(params=["sqlite", *STORE_SERVER_URL_VARS])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A Store URL per backend. Server-backed stores are shared between tests: the suite keeps
    every test's ids unique instead of expecting an empty database."""
    backend: str = request.param
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/store/store.db"
    var = STORE_SERVER_URL_VARS[backend]
    url = os.environ.get(var) or (local_postgres_url() if backend == "postgresql" else None)
    if not url:
        pytest.skip(f"set {var} to run the Store contract suite against {backend}")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open Store on ``store_url``, closed after the test."""
    opened: Store = open_backend(STORES, store_url)
    yield opened
    opened.close()


EVENT_LOG_SERVER_URL_VARS = {"kafka": "TASTEMAKER_TEST_KAFKA_URL"}


@pytest.fixture(params=["sqlite", *EVENT_LOG_SERVER_URL_VARS])
def new_log_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes URLs of fresh, empty event logs of one backend: a new SQLite file, or a new Kafka topic."""
    backend: str = request.param
    counter = itertools.count()
    if backend == "sqlite":
        return lambda: f"sqlite:///{tmp_path}/logs/events-{next(counter)}.db?partitions=4"
    url = os.environ.get(EVENT_LOG_SERVER_URL_VARS[backend]) or local_kafka_url()
    if not url:
        pytest.skip("set TASTEMAKER_TEST_KAFKA_URL to run the Kafka contract suite")
    separator = "&" if "?" in url else "?"
    return lambda: f"{url}{separator}topic=tastemaker-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def event_log_url(new_log_url: Callable[[], str]) -> str:
    return new_log_url()


@pytest.fixture
def open_log(event_log_url: str) -> Iterator[Callable[..., EventLog]]:
    """Opens handles on ``event_log_url`` (another handle = a reopen, or a second process's view);
    every handle is closed after the test."""
    opened: list[EventLog] = []

    def open_(url: str | None = None) -> EventLog:
        log: EventLog = open_backend(EVENT_LOGS, url or event_log_url)
        opened.append(log)
        return log

    yield open_
    for log in opened:
        log.close()


@pytest.fixture
def event_log(open_log: Callable[..., EventLog]) -> EventLog:
    """An open, empty EventLog, closed after the test."""
    return open_log()
