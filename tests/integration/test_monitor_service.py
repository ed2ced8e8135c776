"""The monitor service on real parts: stage counts, dead letters by reason, freshness, the probe's canaries
through the whole pipeline (kept out of the analyst figures), the sink's insert metrics, /metrics."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, generate_latest
from starlette.testclient import TestClient

from confluent_kafka import Producer
from hub.catalogue import load_catalogue
from hub.clickhouse import connect
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings, RegistrySettings, Settings, SinkSettings
from hub.topics import ensure_topics, hub_topics
from hub.wire import SchemaCache
from monitor.main import build_monitor
from monitor.metrics import SinkMetrics
from monitor.settings import MonitorSettings
from monitor.state import DeadLetterCount, StageCounts
from monitor.web import create_web_app
from producers.sdk import HubProducer
from producers.simulator import PopulationSimulator
from registry.store import KafkaSchemaStore
from sinks.clickhouse import ClickHouseWriter
from sinks.consumer import KafkaSink
from sinks.query_server import QueryServer
from tests.integration.pipeline import drain_until, streams_worker

EVENTS = 300
GARBAGE = [b"", b"not avro at all", b"{\"json\": true}"]  # reasons: empty, bad_magic, bad_magic
PROBED = ("population.citizen", "land.parcel")


def test_monitor_sees_the_pipeline(kafka: KafkaSettings, hub_settings: HubSettings, chdb_url: str,
                                   database: str) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    ch = ClickHouseSettings(url=chdb_url, database=database)
    writer = ClickHouseWriter(connect(ch, hub_settings), database, catalogue)
    writer.ensure_tables()
    server = QueryServer(writer, hub_settings.sql_host, hub_settings.sql_port)
    server.start()
    settings = Settings()
    settings.hub, settings.kafka, settings.clickhouse, settings.registry = hub_settings, kafka, ch, RegistrySettings()
    monitor = build_monitor(settings, MonitorSettings(sample_interval_s=1, probe_interval_s=1, probe_timeout_s=90,
                                                      probe_datasets=",".join(PROBED)), catalogue)
    sink_registry = CollectorRegistry()
    sink = KafkaSink(kafka.bootstrap_servers, f"{ns}-sink", ns, catalogue, writer,
                     SchemaCache(KafkaSchemaStore(kafka.bootstrap_servers).schema),
                     SinkSettings(batch_size=1000, batch_timeout_s=0.1), on_insert=SinkMetrics(sink_registry).observe)
    sink.subscribe()
    try:
        producer = HubProducer(kafka.bootstrap_servers, ns, catalogue, KafkaSchemaStore(kafka.bootstrap_servers))
        for c in PopulationSimulator(seed=31).changes(EVENTS):
            producer.emit(c.dataset, c.op, c.key, c.record)
        assert producer.close(60).acknowledged == EVENTS
        raw = Producer({"bootstrap.servers": kafka.bootstrap_servers})
        for value in GARBAGE:
            raw.produce(catalogue.get("population.citizen").topics(ns).raw, key=b"bad", value=value)
        assert raw.flush(30) == 0

        with streams_worker(kafka, hub_settings) as worker:
            monitor.start()

            def probed_enough() -> bool:
                state = monitor.state
                return state is not None and len(state.probe) == 2 and all(p.landed >= 3 for p in state.probe)

            drain_until(sink, probed_enough, alive=lambda: worker.poll() is None)
            monitor.stop()  # no more canaries: let everything land, then read once more
            assert monitor.probe is not None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                sink.poll_batch()
                monitor.probe.check(int(time.time() * 1000))
                state = monitor.collect_once()
                if all(p.sent == p.landed for p in state.probe) and state.lag is not None and all(
                        g.lag == 0 for g in state.lag.groups):
                    break
        canaries = {p.dataset: p.sent for p in state.probe}
        assert {p.dataset: (p.landed, p.lost) for p in state.probe} == {d: (canaries[d], 0) for d in PROBED}
        assert [p.p50_s is not None and 0 < p.p50_s <= p.p99_s < 30 for p in state.probe] == [True, True]
        by_dataset = {s.dataset: s for s in state.stages}
        assert by_dataset["population.citizen"] == StageCounts(
            "population.citizen", EVENTS + len(GARBAGE) + canaries["population.citizen"],
            EVENTS + canaries["population.citizen"], len(GARBAGE), EVENTS)
        assert by_dataset["land.parcel"] == StageCounts("land.parcel", canaries["land.parcel"],
                                                        canaries["land.parcel"], 0, 0)
        assert state.dead_letters == (DeadLetterCount("population.citizen", "bad_magic", 2),
                                      DeadLetterCount("population.citizen", "empty", 1))
        assert sorted((r.reason, r.source_offset >= 0) for r in state.latest_dead_letters) == [
            ("bad_magic", True), ("bad_magic", True), ("empty", True)]
        assert {f.table: f.rows for f in state.freshness} == {
            "civil_status_event_history": 0, "enterprise_registration_history": 0, "land_parcel_history": 0,
            "population_citizen_history": EVENTS, "social_insurance_participant_history": 0}
        fresh = {f.table: (f.event_time_lag_s is not None, f.sink_time_lag_s is not None) for f in state.freshness}
        assert fresh["population_citizen_history"] == (True, True) and fresh["land_parcel_history"] == (False, False)
        assert {(q.dataset, q.measure, q.source): q.score for q in state.quality if q.dataset in PROBED} == {
            ("population.citizen", "valid_ratio", "topics"):
                round((EVENTS + canaries["population.citizen"]) / (EVENTS + canaries["population.citizen"] + 3), 6),
            ("land.parcel", "valid_ratio", "topics"): 1.0}
        assert state.errors == {}
        # Canaries are deletes: the current-state tables do not show them under FINAL.
        assert writer.client.query(f"SELECT count() FROM {database}.land_parcel_current FINAL").result_rows == [(0,)]

        metrics = TestClient(create_web_app(monitor)).get("/metrics").text.splitlines()
        expected = [f'hub_stage_events_total{{dataset="population.citizen",stage="stored"}} {float(EVENTS)}',
                    'hub_dead_letters_total{dataset="population.citizen",reason="bad_magic"} 2.0',
                    f'hub_consumer_group_lag_messages{{group="{ns}-sink"}} 0.0',
                    f'hub_consumer_group_status{{group="{ns}-sink",status="OK"}} 1.0']
        assert [line for line in expected if line not in metrics] == []
        landed_rows = EVENTS + len(GARBAGE) + sum(canaries.values())
        sink_text = generate_latest(sink_registry).decode()
        inserted = sum(float(line.split()[-1]) for line in sink_text.splitlines()
                       if line.startswith("hub_sink_batch_rows_sum") and ".golden." not in line
                       and ".quality" not in line)  # the worker's golden and quality rows land too
        assert inserted == landed_rows
    finally:
        monitor.stop()
        monitor.close()
        sink.close()
        server.stop()
