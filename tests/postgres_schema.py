"""A fresh PostgreSQL schema per test, on the server the contract suites use (or a skip)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

from tests.contracts.servers import local_postgres_url


def postgres_server_url() -> str:
    url = os.environ.get("TASTEMAKER_TEST_POSTGRES_URL") or local_postgres_url()
    if not url:
        pytest.skip("set TASTEMAKER_TEST_POSTGRES_URL (or run PostgreSQL on 127.0.0.1:5432) for this test")
    return url


@contextmanager
def postgres_schema_url() -> Iterator[str]:
    """A store URL whose tables live in a new schema, dropped afterwards."""
    server = postgres_server_url()
    schema = f"tm_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    separator = "&" if "?" in server else "?"
    try:
        yield f"{server}{separator}options={quote(f'-csearch_path={schema}')}&application_name={schema}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
