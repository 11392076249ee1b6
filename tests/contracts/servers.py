"""Where the contract suites find server-backed backends when no ``TASTEMAKER_TEST_*_URL`` names one.

These machines run PostgreSQL on 127.0.0.1 and can start a Kafka-protocol broker (Tansu) from a PyPI
package, so those suites run in ``make test``; a user's clone without them skips with a reason.
"""

from __future__ import annotations


def local_postgres_url() -> str | None:
    """A URL of a PostgreSQL server on this machine the suite may use, or None (skip)."""
    return None


def local_kafka_url() -> str | None:
    """A URL of a Kafka-protocol broker started for the test session, or None (skip)."""
    return None
