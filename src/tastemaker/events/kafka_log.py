"""The EventLog on Apache Kafka (or any Kafka-protocol broker): one topic, one partition per shard.

URL: ``kafka://host:port[,host2:port2]?topic=tastemaker-events&partitions=8&replication=1``

- ``topic`` (default ``tastemaker-events``): the topic; created on open if missing.
- ``partitions`` (default 8): its partition count. An existing topic with another count is refused:
  users are placed by ``partition_for(user_id, partitions)``, so the count is fixed for life.
- ``replication`` (default 1): replication factor used when creating the topic (3 in production).
- ``timeout_ms`` (default 30000): how long an append, a read or an admin call may wait for the brokers
  before it raises ``BackendUnavailable``.
- ``dedupe_window`` (default 1000000): how many of each partition's latest events a handle remembers
  to answer a repeated ``event_id`` with its first offset. An id repeated after more than that many
  later events of its partition is stored again.
- Any parameter with a dot (``security.protocol=SSL``, ``sasl.mechanism=SCRAM-SHA-512``,
  ``ssl.ca.location=…``) is handed to librdkafka as is, for TLS and SASL (Strimzi, managed Kafka).

Why it is shaped this way:

- **Durable appends.** An idempotent producer with ``acks=all`` is flushed before ``append``
  returns and every delivery report is checked, so a returned offset is on every in-sync replica.
- **Idempotent on event_id.** Kafka does not deduplicate by content, so each handle keeps an index
  of event ids per partition, read from the topic itself before each group of appends. Appends of
  all processes on one machine take turns through a lock file (as the SQLite log does), so a
  concurrent repeat from another process is seen too. Two *machines* appending the same id at the
  same instant may both store it: clients retry after a failure, not in parallel, so this is rare.
- **Group commit.** One writer thread per handle drains the queue of pending appends and produces
  them in one flush: a hundred API threads cost one round trip, not a hundred.
- **Consumer groups without rebalances.** Each handle reads the partitions it is asked for by
  assigning them itself; the Kafka group ``<topic>.<group>`` only stores committed offsets
  (``enable.auto.commit=false``, synchronous commits), so groups of different topics never mix.
- **Retention** by age or size is a floor kept as the committed offsets of the group
  ``<topic>.__retention__``: offsets never change and reads start at the floor. The bytes are
  reclaimed by Kafka's own ``retention.ms``/``retention.bytes`` on the topic (not every
  Kafka-protocol broker supports deleting records on request).
- **End offsets from fetches.** The end of a partition is where a fetch reports its end: some
  brokers (Tansu 0.6) answer ``ListOffsets`` with the start of the last record batch.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import tempfile
import threading
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import msgspec
from confluent_kafka import (
    OFFSET_BEGINNING,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from tastemaker.errors import BackendUnavailable, ConfigError, InvalidEvent
from tastemaker.events.log import (
    Batch,
    DeadLetter,
    Offset,
    Record,
    check_offset,
    check_partition,
    partition_for,
)
from tastemaker.events.schema import Event, from_json, to_json
from tastemaker.events.writer_turn import WriterTurn

DEFAULT_TOPIC = "tastemaker-events"
RETENTION_GROUP = "__retention__"
_INT_PARAMS = ("partitions", "replication", "timeout_ms", "dedupe_window")
_DEFAULTS: dict[str, int] = {
    "partitions": 8,
    "replication": 1,
    "timeout_ms": 30_000,
    "dedupe_window": 1_000_000,
}


_client_log = logging.getLogger("tastemaker.kafka.client")
"""librdkafka's own log lines go to Python logging, not straight to stderr (a broker that went away
would otherwise print a reconnect line every second until the process exits)."""

_producers: dict[tuple[tuple[str, Any], ...], Producer] = {}
_producers_lock = threading.Lock()


def _producer(config: Mapping[str, Any]) -> Producer:
    """The process's idempotent producer for these settings, shared by every handle.

    Kafka producers are thread-safe and meant to be few; a new one also spends its first 500 ms
    waiting for a producer id, which a handle opened per request or per test must not pay again.
    """
    settings = {
        **config,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 1,
        "log.connection.close": False,
    }
    key = tuple(sorted(settings.items()))
    with _producers_lock:
        producer = _producers.get(key)
        if producer is None:
            producer = _producers[key] = Producer(settings, logger=_client_log)
        return producer


class _Append:
    """Events waiting for the writer; ``future`` gets their offsets once Kafka acknowledged them."""

    __slots__ = ("events", "future")

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = events
        self.future: Future[list[Offset]] = Future()


def _ms(moment: datetime, field: str) -> int:
    if moment.tzinfo is None:
        msg = f"{moment.isoformat()!r} has no timezone; events carry UTC times (see events/validate.py)"
        raise InvalidEvent(msg, loc=(field,), type="missing_timezone")
    return int(moment.timestamp() * 1000)


def _check(event: Event) -> None:
    if not event.event_id:
        msg = "event_id is empty; run events through events.validate.parse_event before appending"
        raise InvalidEvent(msg, loc=("event_id",), type="missing")
    _ms(event.ts, "ts")
    if event.received_at is not None:
        _ms(event.received_at, "received_at")


def _parse_url(url: str) -> tuple[str, str, dict[str, int], dict[str, str]]:
    """The bootstrap servers, topic, numeric options and librdkafka settings of a ``kafka://`` URL."""
    parts = urlsplit(url)
    if parts.scheme != "kafka" or not parts.netloc or parts.path not in ("", "/"):
        msg = f"{url!r}: expected kafka://host:port[,host2:port2]?topic=…&partitions=…"
        raise ConfigError(msg)
    topic = DEFAULT_TOPIC
    numbers = dict(_DEFAULTS)
    client: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "topic":
            topic = value
        elif key in _INT_PARAMS:
            try:
                numbers[key] = int(value)
            except ValueError:
                msg = f"{url!r}: {key} = {value!r} is not a whole number"
                raise ConfigError(msg) from None
        elif "." in key:
            client[key] = value
        else:
            known = ", ".join(("topic", *_INT_PARAMS))
            msg = f"{url!r}: unknown parameter {key!r}; known: {known}, or a librdkafka setting with a dot"
            raise ConfigError(msg)
    for key in ("partitions", "replication", "timeout_ms", "dedupe_window"):
        if numbers[key] < 1:
            msg = f"{url!r}: {key} = {numbers[key]}: must be at least 1"
            raise ConfigError(msg)
    if not topic:
        msg = f"{url!r}: topic is empty"
        raise ConfigError(msg)
    return parts.netloc, topic, numbers, client


def _letter_key(group: str, partition: int, offset: int) -> bytes:
    return f"{group}\0{partition}\0{offset}".encode()


_encode_letter = msgspec.json.Encoder().encode
_decode_letter = msgspec.json.Decoder(DeadLetter).decode


class KafkaEventLog:
    """An EventLog on one Kafka topic; see the module docstring for why it is built this way.

    Safe to share between threads. Each handle keeps its own read positions, as a Kafka consumer does.
    """

    deletes_records = False
    """Kafka cannot delete single records: ``forget_user`` leaves them to the topic's retention."""

    def __init__(
        self,
        bootstrap: str,
        *,
        topic: str = DEFAULT_TOPIC,
        partitions: int = 8,
        replication: int = 1,
        timeout_ms: int = 30_000,
        dedupe_window: int = 1_000_000,
        client_config: Mapping[str, str] | None = None,
    ) -> None:
        self.topic = topic
        self.partitions = partitions
        self._where = f"Kafka topic {topic!r} at {bootstrap}"
        self._timeout_s = timeout_ms / 1000
        self._window = dedupe_window
        self._config: dict[str, Any] = {"bootstrap.servers": bootstrap, **(client_config or {})}
        self._admin = AdminClient({**self._config, "socket.timeout.ms": timeout_ms}, logger=_client_log)
        try:
            self._create_or_check(partitions, replication)
        except BaseException:
            del self._admin  # or its threads keep reconnecting to a broker that is not there
            raise
        self._producer = _producer({**self._config, "message.timeout.ms": timeout_ms})
        self._lock = threading.Lock()
        self._closed = False
        self._queue: queue.SimpleQueue[_Append | None] = queue.SimpleQueue()
        digest = hashlib.sha256(bootstrap.encode()).hexdigest()[:16]
        self._turn = WriterTurn(Path(tempfile.gettempdir()) / f"tastemaker-kafka-{digest}")
        self._index: dict[int, dict[str, int]] = {}
        self._indexed_to: dict[int, int] = {}
        self._index_reader = self._consumer(f"{topic}.__writer__")
        self._probe = self._consumer(f"{topic}.__probe__")
        self._probe_lock = threading.Lock()
        self._readers: dict[str, KafkaConsumer] = {}
        self._positions: dict[str, dict[int, int]] = {}
        self._group_locks: dict[str, threading.Lock] = {}
        self._writer = threading.Thread(
            target=self._write_loop, name=f"event-log-writer {topic}", daemon=True
        )
        self._writer.start()

    @classmethod
    def from_url(cls, url: str) -> KafkaEventLog:
        bootstrap, topic, numbers, client = _parse_url(url)
        return cls(bootstrap, topic=topic, client_config=client, **numbers)

    # -- the topic -----------------------------------------------------------------------------

    def _create_or_check(self, partitions: int, replication: int) -> None:
        """Create the topic, or accept an existing one with the same partition count."""
        future = self._admin.create_topics(
            [NewTopic(self.topic, partitions, replication)], request_timeout=self._timeout_s
        )[self.topic]
        try:
            future.result(timeout=self._timeout_s)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                action = "create the topic"
                raise self._unavailable(action, exc) from exc
        except TimeoutError as exc:
            action = "create the topic"
            raise self._unavailable(action, exc) from exc
        deadline = time.monotonic() + self._timeout_s
        while True:  # a topic just created reaches every broker's metadata a moment later
            with self._errors("read the topic's metadata"):
                metadata = self._admin.list_topics(self.topic, timeout=self._timeout_s).topics[self.topic]
            if metadata.error is None:
                break
            if time.monotonic() > deadline:
                action = "read the topic's metadata"
                raise self._unavailable(action, KafkaException(metadata.error))
            time.sleep(0.05)
        if len(metadata.partitions) != partitions:
            msg = (
                f"{self._where} exists with {len(metadata.partitions)} partitions, but {partitions} were"
                " asked for; users are placed by partition count, so use the topic's count or a new topic"
            )
            raise ConfigError(msg)

    def _consumer(self, group_id: str) -> KafkaConsumer:
        return KafkaConsumer(
            {
                **self._config,
                "group.id": group_id,
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "enable.partition.eof": True,
                "auto.offset.reset": "earliest",
                # reads here are short and end at the partition's end: answer at once, not in 500 ms
                "fetch.wait.max.ms": 1,
                "fetch.error.backoff.ms": 5,
                "fetch.queue.backoff.ms": 5,
            },
            logger=_client_log,
        )

    # -- writing -------------------------------------------------------------------------------

    def append(self, events: Sequence[Event]) -> list[Offset]:
        """Acknowledged by every in-sync replica when it returns; a known event_id keeps its offset."""
        if not events:
            return []
        for event in events:
            _check(event)
        job = _Append(events)
        with self._lock:
            if self._closed:
                raise self._closed_error()
            self._queue.put(job)
        return job.future.result()

    def _write_loop(self) -> None:
        """The writer thread: take everything pending, produce it in one flush, repeat."""
        while True:
            jobs = [self._queue.get()]
            while not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            live = [job for job in jobs if job is not None]
            if live:
                try:
                    with self._turn:
                        results = self._write(live)
                except BaseException as exc:
                    for job in live:
                        job.future.set_exception(exc)
                else:
                    for job, result in zip(live, results, strict=True):
                        job.future.set_result(result)
            if len(live) < len(jobs):
                return

    def _write(self, jobs: list[_Append]) -> list[list[Offset]]:
        events = [event for job in jobs for event in job.events]
        placed = [partition_for(event.user_id, self.partitions) for event in events]
        self._catch_up(set(placed))
        results: list[Offset | None] = [None] * len(events)
        first_of: dict[str, int] = {}  # event_id -> the position in ``events`` that produces it
        reports: dict[int, tuple[KafkaError | None, int]] = {}
        for position, (event, partition) in enumerate(zip(events, placed, strict=True)):
            known = self._index[partition].get(event.event_id)
            if known is not None:
                results[position] = Offset(partition, known)
            elif event.event_id not in first_of:
                first_of[event.event_id] = position
                self._produce(event, partition, position, reports)
        remaining = self._producer.flush(self._timeout_s)
        failures = [error for error, _offset in reports.values() if error is not None]
        if remaining or failures or len(reports) < len(first_of):
            reason = str(failures[0]) if failures else f"{remaining} events not acknowledged in time"
            action = "append"
            raise self._unavailable(action, KafkaException(reason))
        for event_id, position in sorted(first_of.items(), key=lambda item: reports[item[1]][1]):
            offset = reports[position][1]
            results[position] = Offset(placed[position], offset)
            self._remember(placed[position], event_id, offset)
        for position, event in enumerate(events):
            if results[position] is None:
                results[position] = results[first_of[event.event_id]]
        offsets = [offset for offset in results if offset is not None]
        chunks = iter(offsets)
        return [[next(chunks) for _ in job.events] for job in jobs]

    def _produce(
        self, event: Event, partition: int, position: int, reports: dict[int, tuple[KafkaError | None, int]]
    ) -> None:
        def report(error: KafkaError | None, message: Message) -> None:
            reports[position] = (error, message.offset() or 0)

        moment = event.received_at or datetime.now(UTC)
        with self._errors("append"):
            self._producer.produce(
                self.topic,
                value=to_json(event),
                key=event.user_id.encode(),
                partition=partition,
                timestamp=_ms(moment, "received_at"),
                on_delivery=report,
            )

    def _remember(self, partition: int, event_id: str, offset: int) -> None:
        index = self._index[partition]
        index.setdefault(event_id, offset)
        while len(index) > self._window:
            del index[next(iter(index))]
        if offset == self._indexed_to[partition]:
            self._indexed_to[partition] = offset + 1

    def _catch_up(self, partitions: set[int]) -> None:
        """Index what any process appended to ``partitions`` since this handle last looked."""
        starts: dict[int, int] = {}
        for partition in partitions:
            if partition not in self._index:
                low, high = self._watermarks(self._index_reader, partition)
                self._index[partition] = {}
                self._indexed_to[partition] = max(low, high - self._window)
            starts[partition] = self._indexed_to[partition]
        messages, ends = self._read(self._index_reader, starts)
        for message in messages:
            partition, offset = message.partition() or 0, message.offset() or 0
            if offset >= self._indexed_to[partition]:
                self._remember(partition, from_json(message.value() or b"").event_id, offset)
        for partition, end in ends.items():
            self._indexed_to[partition] = max(self._indexed_to[partition], end)

    # -- reading -------------------------------------------------------------------------------

    def _read(
        self, consumer: KafkaConsumer, starts: Mapping[int, int], limit: int | None = None
    ) -> tuple[list[Message], dict[int, int]]:
        """Messages from ``starts`` up to each partition's end (or ``limit`` in all), and the ends seen."""
        if not starts:
            return [], {}
        messages: list[Message] = []
        ends: dict[int, int] = {}
        deadline = time.monotonic() + self._timeout_s
        with self._errors("read"):
            consumer.assign([TopicPartition(self.topic, p, o) for p, o in starts.items()])
            try:
                while len(ends) < len(starts) and (limit is None or len(messages) < limit):
                    if time.monotonic() > deadline:
                        action = "read"
                        raise self._unavailable(action, TimeoutError("no end of partition reported in time"))
                    wanted = 1000 if limit is None else min(1000, limit - len(messages))
                    for message in consumer.consume(wanted, timeout=0.002):
                        partition, error = message.partition() or 0, message.error()
                        if error is not None:
                            if error.code() != KafkaError._PARTITION_EOF:
                                raise KafkaException(error)
                            ends.setdefault(partition, message.offset() or 0)
                        elif partition not in ends:
                            messages.append(message)
            finally:
                consumer.unassign()
        return messages[:limit] if limit is not None else messages, ends

    def poll(self, group: str, max_events: int, *, partitions: Collection[int] | None = None) -> Batch:
        """Up to ``max_events`` records after this handle's position in each partition asked for."""
        chosen = (
            sorted({check_partition(p, self.partitions) for p in partitions})
            if partitions is not None
            else None
        )
        order = chosen if chosen is not None else list(range(self.partitions))
        if max_events < 1 or not order:
            return Batch()
        with self._group_lock(group):
            reader = self._reader(group)
            position = self._position(group)
            floor = self._floor()
            starts = {p: max(position[p], floor.get(p, 0)) for p in order}
            messages, _ends = self._read(reader, starts, max_events)
            records = [
                Record(message.partition() or 0, message.offset() or 0, from_json(message.value() or b""))
                for message in messages
            ]
            for partition, start in starts.items():
                position[partition] = start
            for record in records:
                position[record.partition] = record.offset + 1
        return Batch(records)

    def commit(self, group: str, offsets: Mapping[int, int]) -> None:
        """Store next-offsets synchronously; an offset below the stored one is ignored (never backwards)."""
        wanted = {check_partition(p, self.partitions): check_offset(o) for p, o in offsets.items()}
        if not wanted:
            return
        with self._group_lock(group):
            stored = self.committed(group)
            moved = {p: o for p, o in wanted.items() if o > stored[p]}
            if moved:
                self._commit(self._reader(group), moved)
            position = self._positions.get(group)
            if position is not None:
                for partition, offset in wanted.items():
                    position[partition] = max(position[partition], offset)

    def _commit(self, consumer: KafkaConsumer, offsets: Mapping[int, int]) -> None:
        with self._errors("commit offsets"):
            consumer.commit(
                offsets=[TopicPartition(self.topic, p, o) for p, o in offsets.items()], asynchronous=False
            )

    def rewind(self, group: str) -> None:
        """Forget this handle's read position: the next poll starts again at the committed offsets."""
        with self._group_lock(group), self._lock:
            self._positions.pop(group, None)

    def committed(self, group: str) -> dict[int, int]:
        """Every partition's committed next offset, 0 where the group never committed."""
        return self._committed(f"{self.topic}.{group}")

    def _committed(self, group_id: str) -> dict[int, int]:
        request = ConsumerGroupTopicPartitions(
            group_id, [TopicPartition(self.topic, p) for p in range(self.partitions)]
        )
        with self._errors("read committed offsets"):
            answer = self._admin.list_consumer_group_offsets([request], request_timeout=self._timeout_s)
            listed = answer[group_id].result().topic_partitions or []
        stored = {tp.partition: tp.offset for tp in listed if tp.offset >= 0}
        return {p: stored.get(p, 0) for p in range(self.partitions)}

    def end_offsets(self) -> dict[int, int]:
        """Every partition's next offset to be written, as a fetch from the end reports it."""
        with self._probe_lock:
            listed = {p: self._watermarks(self._probe, p)[1] for p in range(self.partitions)}
            _messages, ends = self._read(self._probe, listed)
        return {p: ends[p] for p in range(self.partitions)}

    def _watermarks(self, consumer: KafkaConsumer, partition: int) -> tuple[int, int]:
        """The broker's (low, high) watermarks; the high one may be short of the end on some brokers."""
        with self._errors("read the end of a partition"):
            low, high = consumer.get_watermark_offsets(
                TopicPartition(self.topic, partition), timeout=self._timeout_s, cached=False
            )
        return int(low), int(high)

    def lag(self, group: str) -> int:
        end, done = self.end_offsets(), self.committed(group)
        return sum(max(0, end[p] - done.get(p, 0)) for p in end)

    def groups(self) -> list[str]:
        """Groups with committed offsets on this topic, and groups this handle has polled for."""
        prefix = f"{self.topic}."
        with self._errors("list consumer groups"):
            listed = self._admin.list_consumer_groups(request_timeout=self._timeout_s).result()
        stored = {g.group_id[len(prefix) :] for g in listed.valid if g.group_id.startswith(prefix)}
        with self._lock:
            polled = set(self._positions)
        return sorted((stored | polled) - {RETENTION_GROUP, "__writer__", "__probe__"})

    def _position(self, group: str) -> dict[int, int]:
        """The live position of ``group`` (caller holds the group lock), loaded on first use."""
        position = self._positions.get(group)
        if position is None:
            position = self.committed(group)
            with self._lock:
                self._positions[group] = position
        return position

    def _reader(self, group: str) -> KafkaConsumer:
        with self._lock:
            if self._closed:
                raise self._closed_error()
            reader = self._readers.get(group)
            if reader is None:
                reader = self._readers[group] = self._consumer(f"{self.topic}.{group}")
            return reader

    def _group_lock(self, group: str) -> threading.Lock:
        with self._lock:
            return self._group_locks.setdefault(group, threading.Lock())

    # -- forgetting a user ----------------------------------------------------------------------

    def forget_user(self, user_id: str) -> int:
        """Deletes nothing and returns 0: Kafka has no delete of single records.

        The user's raw events stay in the topic until its own ``retention.ms``/``retention.bytes``
        removes them; the consumers have already folded them in and their committed offsets are
        past them, so nothing re-derives them unless a group is reset to replay the topic. Run the
        forget again after such a replay (docs/privacy.md). No tombstone is written: the topic is
        not log-compacted, so one would remove nothing.
        """
        del user_id
        return 0

    # -- retention -----------------------------------------------------------------------------

    def _floor(self) -> dict[int, int]:
        return self._committed(f"{self.topic}.{RETENTION_GROUP}")

    def enforce_retention(self, *, max_age: timedelta | None = None, max_bytes: int | None = None) -> int:
        """Move the floor past the oldest events (by ``received_at``) beyond either bound; return how many.

        Only a prefix of each partition goes, so the offsets of what stays never change, and a group
        positioned on dropped events continues from the first event that remains.
        """
        if max_age is not None and max_age <= timedelta(0):
            msg = f"max_age = {max_age}: must be positive (None keeps events of any age)"
            raise ValueError(msg)
        if max_bytes is not None and max_bytes < 0:
            msg = f"max_bytes = {max_bytes}: must be 0 or more (None keeps any size)"
            raise ValueError(msg)
        with self._group_lock(RETENTION_GROUP):
            floor = self._floor()
            with self._probe_lock:
                messages, ends = self._read(self._probe, floor)
            kept = [
                (m.timestamp()[1], m.partition() or 0, m.offset() or 0, len(m.value() or b""))
                for m in messages
            ]
            cutoffs = dict(floor)
            if max_age is not None:
                cutoff_ms = int((datetime.now(UTC) - max_age).timestamp() * 1000)
                young: dict[int, int] = {}
                for stamp, partition, offset, _size in kept:
                    if stamp >= cutoff_ms:
                        young[partition] = min(young.get(partition, offset), offset)
                cutoffs = {p: young.get(p, ends.get(p, floor[p])) for p in floor}
                kept = [k for k in kept if k[2] >= cutoffs[k[1]]]
            if max_bytes is not None:
                excess = sum(size for *_rest, size in kept) - max_bytes
                for _stamp, partition, offset, size in sorted(kept):
                    if excess <= 0:
                        break
                    cutoffs[partition] = offset + 1
                    excess -= size
            moved = {p: o for p, o in cutoffs.items() if o > floor[p]}
            if moved:
                self._commit(self._reader(RETENTION_GROUP), moved)
        return sum(offset - floor[p] for p, offset in moved.items())

    # -- checks, errors and lifetime -----------------------------------------------------------

    def _unavailable(self, action: str, exc: BaseException) -> BackendUnavailable:
        hint = "check that the brokers are running and reachable, and the bootstrap servers in the URL"
        error = BackendUnavailable(f"{self._where}: could not {action}: {exc} ({hint})")
        error.__cause__ = exc
        return error

    def _closed_error(self) -> BackendUnavailable:
        return BackendUnavailable(f"{self._where}: this handle is closed; open the log again to use it")

    # -- dead letters --------------------------------------------------------------------------
    # A topic of their own, ``<topic>.dlq`` (one partition, made on the first quarantine, replicated
    # as the log's topic is), keyed by group, partition and offset. Forgetting one writes a tombstone
    # (an empty value); readers fold the topic by key, so the last record of a key wins.

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.topic}.dlq"

    def quarantine(self, letter: DeadLetter) -> None:
        """Set ``letter`` aside durably (acks=all, flushed) before the consumer commits past it."""
        check_partition(letter.partition, self.partitions)
        check_offset(letter.offset)
        self._create_dead_letter_topic()
        key = _letter_key(letter.group, letter.partition, letter.offset)
        self._produce_letter(key, _encode_letter(letter))

    def dead_letters(self, group: str | None = None) -> list[DeadLetter]:
        """Every letter (of ``group``), ordered by group, partition and offset."""
        letters = sorted(self._fold_letters().values(), key=lambda d: (d.group, d.partition, d.offset))
        return [letter for letter in letters if group is None or letter.group == group]

    def dead_letter_count(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for letter in self._fold_letters().values():
            counts[letter.group] = counts.get(letter.group, 0) + 1
        return counts

    def forget_dead_letter(self, group: str, partition: int, offset: int) -> bool:
        key = _letter_key(group, partition, offset)
        if key not in self._fold_letters():
            return False
        self._produce_letter(key, b"")
        return True

    def _create_dead_letter_topic(self) -> None:
        with self._errors("create the dead-letter topic"):
            replicas = (
                self._admin.list_topics(self.topic, timeout=self._timeout_s).topics[self.topic].partitions
            )
            replication = len(replicas[0].replicas) if replicas else 1
            future = self._admin.create_topics(
                [NewTopic(self.dead_letter_topic, 1, replication)], request_timeout=self._timeout_s
            )[self.dead_letter_topic]
            try:
                future.result(timeout=self._timeout_s)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise

    def _produce_letter(self, key: bytes, value: bytes) -> None:
        reports: list[KafkaError | None] = []
        with self._errors("write a dead letter"):
            self._producer.produce(
                self.dead_letter_topic,
                value=value,
                key=key,
                partition=0,
                on_delivery=lambda e, _m: reports.append(e),
            )
            self._producer.flush(self._timeout_s)
        if not reports or reports[0] is not None:
            action = "write a dead letter"
            raise self._unavailable(action, KafkaException(reports[0] if reports else None))

    def _fold_letters(self) -> dict[bytes, DeadLetter]:
        """The topic read from its start: the last record of each key, tombstones removed."""
        with self._errors("read dead letters"):
            topics = self._admin.list_topics(self.dead_letter_topic, timeout=self._timeout_s).topics
            if self.dead_letter_topic not in topics or topics[self.dead_letter_topic].error is not None:
                return {}  # nothing was ever quarantined
        consumer = self._consumer(f"{self.topic}.__dead_letters__")
        letters: dict[bytes, DeadLetter] = {}
        deadline = time.monotonic() + self._timeout_s
        try:
            with self._errors("read dead letters"):
                consumer.assign([TopicPartition(self.dead_letter_topic, 0, OFFSET_BEGINNING)])
                while True:
                    if time.monotonic() > deadline:
                        msg = "no end of the dead-letter topic reported in time"
                        raise TimeoutError(msg)
                    message = consumer.poll(0.05)
                    if message is None:
                        continue
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            break
                        raise KafkaException(error)
                    key, value = message.key() or b"", message.value() or b""
                    if value:
                        letters[key] = _decode_letter(value)
                    else:
                        letters.pop(key, None)
        finally:
            consumer.close()
        return letters

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except (KafkaException, BufferError, RuntimeError, TimeoutError) as exc:
            raise self._unavailable(action, exc) from exc

    def close(self) -> None:
        """Finish the appends already queued, then close every client."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._writer.join()
        self._producer.flush(self._timeout_s)
        self._turn.close()
        with self._lock:
            readers, self._readers = list(self._readers.values()), {}
        for consumer in [*readers, self._index_reader, self._probe]:
            consumer.close()

    def __enter__(self) -> KafkaEventLog:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
