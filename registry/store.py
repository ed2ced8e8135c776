"""Schemas kept in a compacted Kafka topic, in the layout of Confluent's ``_schemas`` topic.

Each registration is one message: key ``{"keytype": "SCHEMA", "subject", "version", "magic": 1}``,
value ``{"subject", "version", "id", "schema"}``. Reading the topic from the start rebuilds the state,
so every process sees the same ids. Registration is idempotent: an identical schema (by Avro parsing
canonical form) keeps its id, under any subject.

This store assumes a single writer at a time (the registry service, or one process at set-up).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka import KafkaError as KafkaErrorCode
from confluent_kafka.admin import AdminClient, NewTopic
from fastavro.schema import parse_schema, to_parsing_canonical_form

from hub.errors import KafkaError, SchemaNotFound


@dataclass(frozen=True)
class RegisteredSchema:
    id: int
    subject: str
    version: int
    schema: str


def canonical(schema: dict[str, Any] | str) -> str:
    """Avro parsing canonical form, the identity of a schema."""
    parsed = parse_schema(json.loads(schema) if isinstance(schema, str) else schema)
    return str(to_parsing_canonical_form(parsed))


class KafkaSchemaStore:
    """Register and look up schemas; state is the content of ``topic``."""

    def __init__(self, bootstrap: str, topic: str = "_schemas", timeout_s: float = 10.0) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._timeout = timeout_s
        self._lock = threading.Lock()
        self._by_id: dict[int, str] = {}
        self._by_subject: dict[str, list[RegisteredSchema]] = {}
        self._canonical_ids: dict[str, int] = {}
        self._next_offset = 0

    # -- reading -------------------------------------------------------------------------------
    def _ensure_topic(self) -> None:
        admin = AdminClient({"bootstrap.servers": self._bootstrap, "log_level": 3})
        new = NewTopic(self._topic, num_partitions=1, replication_factor=1, config={"cleanup.policy": "compact"})
        for fut in admin.create_topics([new], operation_timeout=self._timeout).values():
            try:
                fut.result()
            except KafkaException as exc:
                if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                    raise KafkaError(f"cannot create topic {self._topic}: {exc}") from exc

    def refresh(self) -> None:
        """Read the schemas topic up to its current end."""
        with self._lock:
            self._ensure_topic()
            consumer = Consumer({"bootstrap.servers": self._bootstrap, "group.id": "hub-registry-reader",
                                 "enable.auto.commit": False, "enable.partition.eof": True})
            try:
                high = self._high_watermark(consumer)
                if high <= self._next_offset:
                    return
                consumer.assign([TopicPartition(self._topic, 0, self._next_offset)])
                while self._next_offset < high:
                    msg = consumer.poll(self._timeout)
                    if msg is None:
                        raise KafkaError(f"timed out reading {self._topic} at offset {self._next_offset}")
                    if msg.error():
                        if msg.error().code() == -191:  # _PARTITION_EOF
                            continue
                        raise KafkaError(f"reading {self._topic}: {msg.error()}")
                    self._apply(msg.value())
                    self._next_offset = msg.offset() + 1
            except KafkaException as exc:
                raise KafkaError(f"reading {self._topic}: {exc}") from exc
            finally:
                consumer.close()

    def _high_watermark(self, consumer: Consumer) -> int:
        # A topic created a moment ago may not be in the broker's metadata yet: retry briefly.
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                return int(consumer.get_watermark_offsets(TopicPartition(self._topic, 0), timeout=self._timeout)[1])
            except KafkaException as exc:
                if exc.args[0].code() != KafkaErrorCode._UNKNOWN_PARTITION or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _apply(self, value: bytes | None) -> None:
        if not value:
            return
        entry = json.loads(value)
        reg = RegisteredSchema(id=entry["id"], subject=entry["subject"], version=entry["version"],
                               schema=entry["schema"])
        self._by_id[reg.id] = reg.schema
        self._canonical_ids.setdefault(canonical(reg.schema), reg.id)
        versions = self._by_subject.setdefault(reg.subject, [])
        if all(v.version != reg.version for v in versions):
            versions.append(reg)

    def schema(self, schema_id: int) -> dict[str, Any]:
        """The schema with this id; refreshes once from Kafka before giving up."""
        text = self._by_id.get(schema_id)
        if text is None:
            self.refresh()
            text = self._by_id.get(schema_id)
        if text is None:
            raise SchemaNotFound(schema_id=schema_id)
        return json.loads(text)  # type: ignore[no-any-return]

    # -- writing -------------------------------------------------------------------------------
    def register(self, subject: str, schema: dict[str, Any]) -> int:
        """Register ``schema`` under ``subject`` and return its id (the existing one if already known)."""
        self.refresh()
        form = canonical(schema)
        with self._lock:
            versions = self._by_subject.get(subject, [])
            for reg in versions:
                if canonical(reg.schema) == form:
                    return reg.id
            schema_id = self._canonical_ids.get(form, max(self._by_id, default=0) + 1)
            version = max((v.version for v in versions), default=0) + 1
            text = json.dumps(schema, ensure_ascii=False, separators=(",", ":"))
            key = {"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1}
            value = {"subject": subject, "version": version, "id": schema_id, "schema": text, "deleted": False}
            producer = Producer({"bootstrap.servers": self._bootstrap, "enable.idempotence": True})
            errors: list[str] = []
            producer.produce(self._topic, key=json.dumps(key).encode(), value=json.dumps(value).encode(),
                             on_delivery=lambda err, _msg: errors.append(str(err)) if err else None)
            if producer.flush(self._timeout) or errors:
                raise KafkaError(f"cannot write schema to {self._topic}: {errors or 'flush timed out'}")
        self.refresh()
        return schema_id
