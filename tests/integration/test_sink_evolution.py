"""Sink behaviour on real Kafka + chdb: schema evolution mid-stream, and a ClickHouse outage."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Sequence
from typing import Any

import fastavro
from confluent_kafka import Producer

import schemas

from hub import wire
from hub.catalogue import Dataset, load_catalogue, wrap_in_envelope
from hub.clickhouse import connect
from hub.errors import ClickHouseError
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings, SinkSettings
from hub.topics import ensure_topics, hub_topics
from hub.wire import SchemaCache
from producers.envelope import Source, envelope
from producers.simulator import PopulationSimulator
from registry.store import KafkaSchemaStore
from sinks.backoff import Backoff
from sinks.clickhouse import ClickHouseWriter
from sinks.consumer import KafkaSink
from sinks.rows import Located
from tests.integration.pipeline import WriterBetween, drain_until


def produce_clean(kafka: KafkaSettings, dataset: Dataset, ns: str, schema_id: int, parsed: Any,
                  events: list[dict[str, Any]]) -> None:
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers, "enable.idempotence": True})
    for e in events:
        producer.produce(dataset.topics(ns).clean, key=e["key"].encode(), value=wire.encode(schema_id, parsed, e))
    assert producer.flush(30) == 0


def test_added_optional_field_adds_a_column(kafka: KafkaSettings, hub_settings: HubSettings, chdb_url: str,
                                            database: str) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    dataset = catalogue.get("population.citizen")
    store = KafkaSchemaStore(kafka.bootstrap_servers, f"_schemas_{ns}")
    subject = f"{dataset.topics(ns).clean}-value"
    v1_id = store.register(subject, dataset.envelope_schema)
    record_v2 = copy.deepcopy(dataset.record_schema)
    record_v2["fields"].append({"name": "blood_type", "type": ["null", "string"], "default": None})
    envelope_v2 = wrap_in_envelope(json.loads(schemas.ENVELOPE_FILE.read_text()), record_v2)
    v2_id = store.register(subject, envelope_v2)
    assert v2_id != v1_id

    changes = list(PopulationSimulator(seed=21).changes(200))
    old = [envelope(dataset, c.op, c.key, c.record, Source("BCA", "t", i)) for i, c in enumerate(changes[:100])]
    new = [envelope(dataset, c.op, c.key, c.record, Source("BCA", "t", i)) for i, c in enumerate(changes[100:], 100)]
    for e in new:
        e["after"] = dict(e["after"], blood_type="O+")
    produce_clean(kafka, dataset, ns, v1_id, dataset.parsed_envelope, old)
    produce_clean(kafka, dataset, ns, v2_id, fastavro.parse_schema(envelope_v2), new)

    writer = ClickHouseWriter(connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings),
                              database, catalogue)
    writer.ensure_tables()

    sink = KafkaSink(kafka.bootstrap_servers, f"{ns}-sink", ns, catalogue, writer, SchemaCache(store.schema, raw_times=True),
                     SinkSettings(batch_size=500, batch_timeout_s=0.1))
    sink.subscribe()
    table = f"{database}.population_citizen_history"
    try:
        drain_until(sink, lambda: int(writer.client.query(f"SELECT count() FROM {table}").result_rows[0][0]) >= 200)
    finally:
        sink.close()
    got = writer.client.query(f"SELECT blood_type, count() FROM {table} GROUP BY blood_type ORDER BY blood_type")
    assert got.result_rows == [("O+", 100), (None, 100)]
    current = writer.client.query(f"SELECT name FROM system.columns WHERE database = '{database}' "
                                  "AND table = 'population_citizen_current' AND name = 'blood_type'").result_rows
    assert current == [("blood_type",)]


class FlakyWriter(WriterBetween):
    """The real writer behind a switch: while ``down`` is set, every write fails like an unreachable server."""

    def __init__(self, inner: ClickHouseWriter) -> None:
        super().__init__(inner)
        self.down = threading.Event()
        self.refused = 0

    def write(self, dataset: Dataset, events: Sequence[Located], token: str,
              writer_schemas: Sequence[dict[str, Any]] = ()) -> None:
        if self.down.is_set():
            self.refused += 1
            raise ClickHouseError("connection refused (simulated outage)")
        super().write(dataset, events, token, writer_schemas)


def test_outage_pauses_and_catches_up(kafka: KafkaSettings, hub_settings: HubSettings, chdb_url: str,
                                      database: str) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    dataset = catalogue.get("population.citizen")
    store = KafkaSchemaStore(kafka.bootstrap_servers, f"_schemas_{ns}")
    schema_id = store.register(f"{dataset.topics(ns).clean}-value", dataset.envelope_schema)
    events = [envelope(dataset, c.op, c.key, c.record, Source("BCA", "t", i))
              for i, c in enumerate(PopulationSimulator(seed=3).changes(3000))]
    writer = ClickHouseWriter(connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings),
                              database, catalogue)
    writer.ensure_tables()
    flaky = FlakyWriter(writer)

    sink = KafkaSink(kafka.bootstrap_servers, f"{ns}-sink", ns, catalogue, flaky, SchemaCache(store.schema, raw_times=True),  # type: ignore[arg-type]
                     SinkSettings(batch_size=500, batch_timeout_s=0.1), backoff=Backoff(first=0.2, ceiling=1.0))
    sink.subscribe()
    table = f"{database}.population_citizen_history"

    def rows() -> int:
        return int(writer.client.query(f"SELECT count() FROM {table}").result_rows[0][0])

    try:
        produce_clean(kafka, dataset, ns, schema_id, dataset.parsed_envelope, events[:1000])
        drain_until(sink, lambda: rows() >= 1000)
        flaky.down.set()
        produce_clean(kafka, dataset, ns, schema_id, dataset.parsed_envelope, events[1000:])
        outage_end = time.monotonic() + 8
        releaser = threading.Timer(8, flaky.down.clear)
        releaser.start()
        drain_until(sink, lambda: rows() >= 3000, timeout_s=120)
        assert time.monotonic() >= outage_end - 0.5  # nothing landed while the target was down
        for _ in range(5):
            sink.poll_batch()
    finally:
        sink.close()
    assert flaky.refused >= 3
    assert sink.stats.retries == flaky.refused
    distinct = writer.client.query(f"SELECT count(), uniqExact(event_id) FROM {table}").result_rows[0]
    assert (int(distinct[0]), int(distinct[1])) == (3000, 3000)
