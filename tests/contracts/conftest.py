"""Fixtures of the contract suites: each Protocol's suite runs once per backend URL.

Embedded backends run in ``tmp_path`` every time; a backend that needs a server runs only when its
``TASTEMAKER_TEST_*_URL`` variable is set, and is skipped with a reason naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tastemaker.backends import STORES, open_backend
from tastemaker.storage.store import Store

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
    url = os.environ.get(var)
    if not url:
        pytest.skip(f"set {var} to run the Store contract suite against {backend}")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open Store on ``store_url``, closed after the test."""
    opened: Store = open_backend(STORES, store_url)
    yield opened
    opened.close()
