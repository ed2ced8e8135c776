"""Publishing simulated changes to the raw topics the way the ministries' own systems would.

The simulated sources do not use the SDK (they are the outside world, dirt included): each change is
framed Avro written with the dataset's registered raw schema. A record that lacks a required field cannot
be written with that schema, so it is written with a looser version registered under the same subject
(its required fields made nullable — a BACKWARD-compatible change, as a careless source could make); the
stream processors judge records against the catalogue, where null is missing.

Encoding is deterministic: the same changes give the same bytes (``ingest_time`` is the event's own time),
so the same seed gives a byte-identical stream: per raw topic and partition the same (key, value, headers)
sequence (``tests/integration/test_simulate_determinism.py``). Kafka's own message timestamp is deliberately
left to the producer (the time of sending), not set to the event time: simulated event times start months
in the past (:data:`producers.simulator.context.DEFAULT_START`), and a timestamp that old would let the
broker's time-based retention delete the raw topic's segments and would make the monitor's lag in seconds
(read from message timestamps) meaningless. The event time travels in the envelope.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import fastavro
from confluent_kafka import Producer

from hub import wire
from hub.catalogue import Catalogue, Dataset
from hub.errors import KafkaError
from producers.simulator.change import Change
from streams.rules.records import missing_required

SYSTEM = "simulator"


def loose(envelope_schema: dict[str, Any]) -> dict[str, Any]:
    """The envelope schema with every required top-level record field made nullable (default null)."""
    schema = copy.deepcopy(envelope_schema)
    after = next(f for f in schema["fields"] if f["name"] == "after")
    record = next(t for t in after["type"] if isinstance(t, dict))
    for f in record["fields"]:
        nullable = isinstance(f["type"], list) and "null" in f["type"]
        if not nullable and "default" not in f:
            f["type"], f["default"] = ["null", f["type"]], None
    return schema


def envelope_of(change: Change, dataset: Dataset, missing: list[str]) -> dict[str, Any]:
    after = None if change.record is None else {**change.record, **dict.fromkeys(missing)}
    return {"event_id": change.event_id, "op": change.op, "key": change.key, "after": after,
            "source": {"ministry": dataset.owner.code, "system": SYSTEM, "position": change.source_position},
            "event_time": change.event_time, "ingest_time": change.event_time}


class RawPublisher:
    """Encodes and sends changes to ``<namespace>.<dataset>.raw``; registers the schemas it needs once."""

    def __init__(self, bootstrap: str, namespace: str, catalogue: Catalogue, store: Any) -> None:
        self._namespace = namespace
        self._catalogue = catalogue
        self._store = store
        self._schemas: dict[tuple[str, bool], tuple[int, Any]] = {}
        self._producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                                   "linger.ms": 5, "compression.type": "lz4"})
        self.sent = 0

    def _schema(self, dataset: Dataset, relaxed: bool) -> tuple[int, Any]:
        found = self._schemas.get((dataset.name, relaxed))
        if found is None:
            schema = loose(dataset.envelope_schema) if relaxed else dataset.envelope_schema
            schema_id = self._store.register(f"{dataset.topics(self._namespace).raw}-value", schema)
            found = self._schemas[(dataset.name, relaxed)] = (schema_id, fastavro.parse_schema(copy.deepcopy(schema)))
        return found

    def encode(self, change: Change) -> tuple[str, bytes, bytes]:
        """(topic, key, framed value) of one change."""
        dataset = self._catalogue.get(change.dataset)
        missing = missing_required(dataset.record_schema, change.record) if change.record is not None else []
        schema_id, parsed = self._schema(dataset, relaxed=bool(missing))
        value = wire.encode(schema_id, parsed, envelope_of(change, dataset, missing))
        return dataset.topics(self._namespace).raw, change.key.encode(), value

    def publish(self, changes: Iterable[Change]) -> int:
        for change in changes:
            topic, key, value = self.encode(change)
            while True:
                try:
                    self._producer.produce(topic, key=key, value=value)
                    break
                except BufferError:
                    self._producer.poll(0.1)
            self._producer.poll(0)
            self.sent += 1
        return self.sent

    def flush(self, timeout_s: float = 60.0) -> None:
        if self._producer.flush(timeout_s):
            raise KafkaError(f"{len(self._producer)} simulated events not acknowledged after {timeout_s:.0f}s")
