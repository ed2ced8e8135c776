"""The Kafka side of the sink: bounded batches from the clean topics, insert, then commit.

Exactly-once effect: each insert covers one partition's contiguous offset range and carries the
deduplication token ``<topic>/<partition>/<first>-<last>``; offsets are committed only after the insert
succeeded; and on every partition assignment the consumer starts after the highest offset already stored
in ClickHouse, so a crash between insert and commit neither loses nor doubles a row.

Backpressure: when ClickHouse refuses an insert, the sink pauses its partitions (so nothing more is
fetched and memory stays at one batch), keeps polling so it stays in the group, retries the same batch
with exponential backoff, and resumes when the insert succeeds. If its partitions are revoked meanwhile,
the batch is dropped uncommitted: the partitions' next owner reads it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from hub.catalogue import Catalogue
from hub.errors import ClickHouseError, KafkaError, WireFormatError
from hub.settings import SinkSettings
from hub.wire import SchemaCache
from sinks.backoff import Backoff
from sinks.base import BatchWriter
from sinks.dead_letters import DeadLetter, decode_headers
from sinks.rows import Located
from sinks.targets import Target, dlq_topics, topic_targets

log = logging.getLogger("hub.sink")


@dataclass
class SinkStats:
    rows: int = 0
    batches: int = 0
    retries: int = 0
    abandoned_batches: int = 0
    undecodable: dict[str, int] = field(default_factory=dict)


def _offset(msg: Message) -> int:
    offset = msg.offset()
    assert offset is not None, "consumed messages always have an offset"
    return offset


class KafkaSink:
    def __init__(self, bootstrap: str, group: str, namespace: str, catalogue: Catalogue,
                 writer: BatchWriter, schemas: SchemaCache, settings: SinkSettings,
                 backoff: Backoff = Backoff(), stop: threading.Event | None = None,
                 on_insert: Callable[[str, int, float], None] | None = None) -> None:
        """``on_insert(topic, rows, seconds)`` is told of every landed insert, retries included in the time
        (the sink's metrics: :class:`monitor.metrics.SinkMetrics`)."""
        self._writer = writer
        self._on_insert = on_insert
        self._backoff = backoff
        self._stop = stop or threading.Event()
        self._generation = 0  # bumped on every revocation
        self._schemas = schemas
        self._settings = settings
        dlq = dlq_topics(catalogue, namespace)
        self._by_topic: dict[str, Target] = {**topic_targets(catalogue, namespace), **dlq}
        self._dlq_topics = set(dlq)
        self.stats = SinkStats()
        self._consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "isolation.level": "read_committed",
            "fetch.min.bytes": 1, "fetch.wait.max.ms": 50, "queued.max.messages.kbytes": 32768,
            # A crashed sink's partitions move to its replacement after 10 s rather than 45 s.
            "session.timeout.ms": 10_000, "heartbeat.interval.ms": 2_000,
            # Golden and quality topics may be created after the sink subscribed: notice them within 10 s.
            "topic.metadata.refresh.interval.ms": 10_000,
        })

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        committed = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(partitions, timeout=30)}
        stored: dict[str, dict[int, int]] = {}
        for tp in partitions:
            if tp.topic not in stored:
                stored[tp.topic] = self._writer.max_offsets(self._by_topic[tp.topic], tp.topic)
            after_stored = stored[tp.topic].get(tp.partition, -1) + 1
            start = committed.get((tp.topic, tp.partition), -1001)
            if after_stored > 0 and (start < 0 or after_stored > start):
                log.info("resuming %s[%d] at %d (stored in ClickHouse, committed %d)",
                         tp.topic, tp.partition, after_stored, start)
                tp.offset = after_stored
            else:
                tp.offset = start
        consumer.assign(partitions)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._generation += 1

    def subscribe(self) -> None:
        self._consumer.subscribe(list(self._by_topic), on_assign=self._on_assign, on_revoke=self._on_revoke)

    def poll_batch(self) -> int:
        """Consume one bounded batch, insert it, commit it. Returns the number of rows inserted."""
        try:
            messages = self._consumer.consume(self._settings.batch_size, self._settings.batch_timeout_s)
        except KafkaException as exc:
            raise KafkaError(f"consume failed: {exc}") from exc
        if not messages:
            return 0
        groups: dict[tuple[str, int], list[Message]] = defaultdict(list)
        for msg in messages:
            if msg.error():
                log.warning("consumer error: %s", msg.error())
                continue
            groups[(str(msg.topic()), int(msg.partition() or 0))].append(msg)
        generation = self._generation
        inserted = 0
        for (topic, partition), msgs in groups.items():
            token = f"{topic}/{partition}/{_offset(msgs[0])}-{_offset(msgs[-1])}"
            if topic in self._dlq_topics:
                letters = [DeadLetter(topic, partition, _offset(m), self._by_topic[topic].name, m.key() or b"",
                                      m.value() or b"", decode_headers(m.headers())) for m in msgs]
                write: Callable[[], None] = partial(self._writer.write_dead_letters, letters, token)
                count = len(letters)
            else:
                dataset, located, schemas = self._prepare(self._by_topic[topic], topic, partition, msgs)
                write = partial(self._writer.write, dataset, located, token, schemas)
                count = len(located)
            started = time.perf_counter()
            if count and not self._write_with_backoff(write, generation):
                self.stats.abandoned_batches += 1
                return 0
            if count and self._on_insert is not None:
                self._on_insert(topic, count, time.perf_counter() - started)
            inserted += count
        commits = [TopicPartition(topic, partition, _offset(msgs[-1]) + 1) for (topic, partition), msgs in groups.items()]
        if commits:
            self._consumer.commit(offsets=commits, asynchronous=False)
        self.stats.rows += inserted
        self.stats.batches += 1
        return inserted

    def _write_with_backoff(self, write: Callable[[], None], generation: int) -> bool:
        """Write until it succeeds (True), or the partitions were revoked or the sink stops (False)."""
        attempt = 0
        paused: list[TopicPartition] = []
        try:
            while True:
                try:
                    write()
                    return True
                except ClickHouseError as exc:
                    attempt += 1
                    self.stats.retries += 1
                    delay = self._backoff.delay(attempt)
                    log.warning("ClickHouse insert failed (attempt %d), retrying in %.1fs: %s", attempt, delay,
                                str(exc)[:200])
                    if not paused:
                        paused = self._consumer.assignment()
                        self._consumer.pause(paused)
                deadline = time.monotonic() + delay
                while time.monotonic() < deadline:
                    # Paused: consume() returns nothing, but serves the group so we keep our partitions.
                    self._consumer.consume(1, min(0.5, max(0.0, deadline - time.monotonic())))
                    if self._stop.is_set() or self._generation != generation:
                        log.warning("abandoning an uncommitted batch (%s)",
                                    "stopping" if self._stop.is_set() else "partitions revoked")
                        return False
        finally:
            if paused:
                self._consumer.resume([tp for tp in paused if tp in self._consumer.assignment()])

    def _prepare(self, dataset: Target, topic: str, partition: int,
                 msgs: Sequence[Message]) -> tuple[Target, list[Located], list[dict[str, Any]]]:
        located: list[Located] = []
        schema_ids: set[int] = set()
        for msg in msgs:
            try:
                schema_id, event = self._schemas.decode(msg.value())
            except WireFormatError as exc:
                # Offsets and reason code only: the payload may carry personal data.
                log.warning("undecodable %s[%d]@%d: %s", topic, partition, _offset(msg), exc.code)
                self.stats.undecodable[exc.code] = self.stats.undecodable.get(exc.code, 0) + 1
                continue
            schema_ids.add(schema_id)
            located.append(Located(topic, partition, _offset(msg), event))
        return dataset, located, [self._schemas.schema(i) for i in sorted(schema_ids)]

    def run(self) -> None:
        """Consume until the stop event given at construction is set."""
        self.subscribe()
        try:
            while not self._stop.is_set():
                self.poll_batch()
        finally:
            self.close()

    def close(self) -> None:
        self._consumer.close()
