"""Sink behaviour on real Kafka + chdb: schema evolution mid-stream."""

from __future__ import annotations

import copy
import json

import fastavro

import schemas

from hub.catalogue import load_catalogue, wrap_in_envelope
from hub.clickhouse import connect
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings, SinkSettings
from hub.topics import ensure_topics, hub_topics
from hub.wire import SchemaCache
from producers.envelope import Source, envelope
from producers.simulator import PopulationSimulator
from registry.store import KafkaSchemaStore
from sinks.clickhouse import ClickHouseWriter
from sinks.consumer import KafkaSink
from tests.integration.pipeline import drain_until, produce_clean


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
