"""The Kafka side of the sink: bounded batches from the clean topics, insert, then commit.

Exactly-once effect: each insert covers one partition's contiguous offset range and carries the
deduplication token ``<topic>/<partition>/<first>-<last>``; offsets are committed only after the insert
succeeded; and on every partition assignment the consumer starts after the highest offset already stored
in ClickHouse, so a crash between insert and commit neither loses nor doubles a row.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from hub.catalogue import Catalogue, Dataset
from hub.errors import KafkaError, WireFormatError
from hub.settings import SinkSettings
from hub.wire import SchemaCache
from sinks.base import BatchWriter
from sinks.rows import Located

log = logging.getLogger("hub.sink")


@dataclass
class SinkStats:
    rows: int = 0
    batches: int = 0
    undecodable: dict[str, int] = field(default_factory=dict)


def _offset(msg: Message) -> int:
    offset = msg.offset()
    assert offset is not None, "consumed messages always have an offset"
    return offset


class KafkaSink:
    def __init__(self, bootstrap: str, group: str, namespace: str, catalogue: Catalogue,
                 writer: BatchWriter, schemas: SchemaCache, settings: SinkSettings) -> None:
        self._writer = writer
        self._schemas = schemas
        self._settings = settings
        self._by_topic: dict[str, Dataset] = {d.topics(namespace).clean: d for d in catalogue}
        self.stats = SinkStats()
        self._consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "isolation.level": "read_committed",
            "fetch.min.bytes": 1, "fetch.wait.max.ms": 50, "queued.max.messages.kbytes": 65536,
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

    def subscribe(self) -> None:
        self._consumer.subscribe(list(self._by_topic), on_assign=self._on_assign)

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
        inserted = 0
        commits: list[TopicPartition] = []
        for (topic, partition), msgs in groups.items():
            inserted += self._insert(self._by_topic[topic], topic, partition, msgs)
            commits.append(TopicPartition(topic, partition, _offset(msgs[-1]) + 1))
        if commits:
            self._consumer.commit(offsets=commits, asynchronous=False)
        self.stats.rows += inserted
        self.stats.batches += 1
        return inserted

    def _insert(self, dataset: Dataset, topic: str, partition: int, msgs: Sequence[Message]) -> int:
        located: list[Located] = []
        for msg in msgs:
            try:
                _, event = self._schemas.decode(msg.value())
            except WireFormatError as exc:
                # Offsets and reason code only: the payload may carry personal data.
                log.warning("undecodable %s[%d]@%d: %s", topic, partition, msg.offset(), exc.code)
                self.stats.undecodable[exc.code] = self.stats.undecodable.get(exc.code, 0) + 1
                continue
            located.append(Located(topic, partition, _offset(msg), event))
        if located:
            token = f"{topic}/{partition}/{_offset(msgs[0])}-{_offset(msgs[-1])}"
            self._writer.write(dataset, located, token)
        return len(located)

    def run(self, stop: threading.Event) -> None:
        self.subscribe()
        try:
            while not stop.is_set():
                self.poll_batch()
        finally:
            self.close()

    def close(self) -> None:
        self._consumer.close()
