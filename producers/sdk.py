"""The Python SDK for source systems: validated change events, Confluent-framed Avro, idempotent Kafka.

    producer = HubProducer.connect(settings, system="dancu-core")
    producer.emit("population.citizen", "c", key=cccd, record={...})
    report = producer.flush()          # returns when every event is acknowledged or failed
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from confluent_kafka import KafkaException, Producer

from hub import wire
from hub.catalogue import Catalogue, Dataset
from hub.errors import KafkaError
from producers.envelope import Source, envelope
from registry.store import KafkaSchemaStore


@dataclass
class DeliveryReport:
    """Outcome of the events emitted so far: counts, and the ids of failed events with the broker's reason."""

    acknowledged: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    pending: int = 0


class HubProducer:
    """Publishes change events of the catalogue's datasets to their raw topics."""

    def __init__(self, bootstrap: str, namespace: str, catalogue: Catalogue, store: KafkaSchemaStore,
                 system: str = "hub-sdk", config: dict[str, Any] | None = None) -> None:
        self._catalogue = catalogue
        self._namespace = namespace
        self._store = store
        self._system = system
        self._schema_ids: dict[str, int] = {}
        self._positions = itertools.count(1)
        self.report = DeliveryReport()
        conf = {"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                "linger.ms": 5, "batch.size": 512 * 1024, "compression.type": "lz4",
                "queue.buffering.max.messages": 500_000}
        conf.update(config or {})
        self._producer = Producer(conf)

    def schema_id(self, dataset: Dataset) -> int:
        """The registered id of the dataset's envelope schema under ``<raw topic>-value``."""
        sid = self._schema_ids.get(dataset.name)
        if sid is None:
            subject = f"{dataset.topics(self._namespace).raw}-value"
            sid = self._store.register(subject, dataset.envelope_schema)
            self._schema_ids[dataset.name] = sid
        return sid

    def emit(self, dataset_name: str, op: str, key: str, record: dict[str, Any] | None,
             event_time: datetime | None = None, event_id: str | None = None,
             position: int | None = None) -> str:
        """Validate, wrap, serialize and send one event; returns its event id.

        Raises :class:`hub.errors.ValidationError` for a bad record (nothing is sent) and
        :class:`hub.errors.KafkaError` if the local queue refuses it.
        """
        dataset = self._catalogue.get(dataset_name)
        source = Source(dataset.owner.code, self._system, position if position is not None else next(self._positions))
        event = envelope(dataset, op, key, record, source, event_time=event_time, event_id=event_id)
        value = wire.encode(self.schema_id(dataset), dataset.parsed_envelope, event)
        event_id = event["event_id"]
        self._send(dataset.topics(self._namespace).raw, key.encode(), value, event_id)
        return str(event_id)

    def _send(self, topic: str, key: bytes, value: bytes, event_id: str) -> None:
        def delivered(err: Any, _msg: Any) -> None:
            self.report.pending -= 1
            if err is None:
                self.report.acknowledged += 1
            else:
                self.report.failed[event_id] = str(err)

        while True:
            try:
                self._producer.produce(topic, value=value, key=key, on_delivery=delivered)
                self.report.pending += 1
                return
            except BufferError:
                self._producer.poll(0.05)  # local queue full: serve callbacks, then retry
            except KafkaException as exc:
                raise KafkaError(f"cannot produce to {topic}: {exc}") from exc
            finally:
                self._producer.poll(0)

    def flush(self, timeout_s: float | None = None) -> DeliveryReport:
        """Block until every emitted event is acknowledged or failed (or ``timeout_s`` passes)."""
        self._producer.flush(-1 if timeout_s is None else timeout_s)
        return self.report
