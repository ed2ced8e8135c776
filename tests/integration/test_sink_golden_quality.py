"""The sink's golden and quality tables on a real broker: the latest revision wins under FINAL, whatever the
arrival order; a deleted golden record vanishes; a re-published quality window replaces the earlier one."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

import fastavro
from confluent_kafka import Producer

from hub import wire
from hub.catalogue import load_catalogue
from hub.clickhouse import connect
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings
from hub.topics import ensure_topics, hub_topics
from producers.simulator import MinistriesSimulator, build_manifest
from registry.store import KafkaSchemaStore
from sinks.clickhouse import ClickHouseWriter
from streams.golden import publish as golden_publish
from streams.golden.fold import fold
from streams.quality import publish as quality_publish
from streams.quality.windows import Freshness, QualityRecord
from tests.integration.pipeline import drain_until, make_sink
from tests.unit.test_golden_fold import accepted, source_event

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)


def window(dataset: str, minute: int, revision: int, valid: int) -> dict[str, Any]:
    start = int((T0 + timedelta(minutes=minute)).timestamp() * 1000)
    return quality_publish.to_avro(QualityRecord(
        dataset, "simulator", start, start + 60_000, revision, received=valid + 1, valid=valid, rejected=1,
        rejected_by_reason=(("cccd_inconsistent", 1),), records=valid, completeness=(("full_name", 0.5),),
        freshness=Freshness(valid, 10, 20, 30)))


def golden_change(key: str, revision: int, after: dict[str, Any] | None, op: str) -> dict[str, Any]:
    return {"event_id": f"{key}/{revision}", "op": op, "key": key, "after": after,
            "source": {"ministry": "HUB", "system": "golden-merge", "position": revision},
            "event_time": T0 + timedelta(seconds=revision), "ingest_time": T0}


def test_latest_revisions_win(kafka: KafkaSettings, hub_settings: HubSettings, chdb_url: str, database: str) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    golden_topic, quality_topic = golden_publish.golden_topic(ns, "citizen"), quality_publish.quality_topic(ns)
    ensure_topics(kafka, [*hub_topics(catalogue, ns), golden_topic, quality_topic])
    changes = list(MinistriesSimulator(seed=3, dirt=0.0).changes(400))
    records = fold(source_event(c, r) for c, r in accepted(changes, build_manifest(changes, catalogue))).records("citizen")
    (k1, r1), (k2, r2), (k3, r3) = list(records.items())[:3]
    renamed = {**r1.to_avro(), "full_name": "Nguyễn Văn Mới"}
    # Arrival order is not revision order: the sink's table must still keep the highest revision.
    golden = [golden_change(k1, 2, renamed, "u"), golden_change(k1, 1, r1.to_avro(), "c"),
              golden_change(k2, 1, r2.to_avro(), "c"), golden_change(k2, 2, None, "d"),
              golden_change(k3, 1, r3.to_avro(), "c")]
    windows = [window("population.citizen", 0, 1, 10), window("population.citizen", 0, 2, 15),
               window("land.parcel", 0, 1, 4), window("population.citizen", 1, 1, 7)]

    store = KafkaSchemaStore(kafka.bootstrap_servers)
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers, "enable.idempotence": True})
    for topic, schema, values, key in (
            (golden_topic, golden_publish.envelope_schema("citizen"), golden, lambda v: v["key"].encode()),
            (quality_topic, quality_publish.schema(), windows,
             lambda v: f"{v['dataset']}|{v['source_system']}|{v['window_start']}".encode())):
        schema_id = store.register(f"{topic}-value", schema)
        parsed = fastavro.parse_schema(copy.deepcopy(schema))
        for value in values:
            producer.produce(topic, key=key(value), value=wire.encode(schema_id, parsed, value))
    assert producer.flush(30) == 0

    writer = ClickHouseWriter(connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings), database,
                              catalogue)
    writer.ensure_tables()

    def query(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in writer.client.query(sql).result_rows]

    def landed() -> int:
        return sum(int(query(f"SELECT count() FROM {database}.{t}_history")[0][0])
                   for t in ("golden_citizen", "quality_window"))

    sink = make_sink(kafka, hub_settings, writer)
    try:
        drain_until(sink, lambda: landed() >= len(golden) + len(windows), timeout_s=90)
        for _ in range(3):
            sink.poll_batch()
    finally:
        sink.close()

    assert landed() == len(golden) + len(windows)
    assert sorted(query(f"SELECT key, source_position, full_name, provenance_full_name_dataset "
                        f"FROM {database}.golden_citizen_current FINAL")) == sorted([
        (k1, 2, "Nguyễn Văn Mới", "population.citizen"), (k3, 1, r3.to_avro()["full_name"], "population.citizen")])
    assert sorted(query(f"SELECT dataset, toUnixTimestamp(window_start) - {int(T0.timestamp())}, revision, valid, "
                        f"received, rejected_by_reason['cccd_inconsistent'], completeness['full_name'], "
                        f"freshness_p95_ms FROM {database}.quality_window_current FINAL")) == [
        ("land.parcel", 0, 1, 4, 5, 1, 0.5, 20), ("population.citizen", 0, 2, 15, 16, 1, 0.5, 20),
        ("population.citizen", 60, 1, 7, 8, 1, 0.5, 20)]
