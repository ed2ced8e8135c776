"""End to end on real parts: SDK → Kafka raw topic → faust worker → clean topic → sink → chdb."""

from __future__ import annotations

from confluent_kafka import Consumer, Producer

from hub.catalogue import load_catalogue
from hub.clickhouse import connect
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings
from hub.topics import ensure_topics, hub_topics, message_count
from producers.sdk import HubProducer
from producers.simulator import PopulationSimulator
from registry.store import KafkaSchemaStore
from sinks.clickhouse import ClickHouseWriter
from tests.integration.pipeline import commit_reaches_the_end, drain_until, make_sink, streams_worker

EVENTS = 3000
GARBAGE = [b"", b"{\"json\": true}", b"\x00\x00\x00\x00\x01\xff\xff"]


def test_every_event_lands_exactly_once(kafka: KafkaSettings, hub_settings: HubSettings, chdb_url: str,
                                        database: str) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    topics = catalogue.get("population.citizen").topics(ns)

    producer = HubProducer(kafka.bootstrap_servers, ns, catalogue, KafkaSchemaStore(kafka.bootstrap_servers))
    event_ids = {producer.emit(c.dataset, c.op, c.key, c.record, event_time=c.event_time)
                 for c in PopulationSimulator(seed=11).changes(EVENTS)}
    report = producer.flush(60)
    assert (report.acknowledged, report.failed, report.pending) == (EVENTS, {}, 0)
    raw = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    for value in GARBAGE:  # interleaved with good events behind them
        raw.produce(topics.raw, key=b"bad", value=value)
    assert raw.flush(30) == 0
    later = {producer.emit(c.dataset, c.op, c.key, c.record) for c in PopulationSimulator(seed=12).changes(100)}
    assert producer.flush(60).acknowledged == EVENTS + 100
    expected_ids = event_ids | later

    ch = ClickHouseSettings(url=chdb_url, database=database)
    writer = ClickHouseWriter(connect(ch, hub_settings), database, catalogue)
    writer.ensure_tables()
    table = f"{database}.population_citizen_history"

    def rows() -> int:
        return int(writer.client.query(f"SELECT count() FROM {table}").result_rows[0][0])

    def dead() -> int:
        return int(writer.client.query(f"SELECT count() FROM {database}.dead_letters").result_rows[0][0])

    with streams_worker(kafka, hub_settings) as worker:
        sink = make_sink(kafka, hub_settings, writer)
        try:
            drain_until(sink, lambda: rows() >= len(expected_ids) and dead() >= len(GARBAGE),
                        alive=lambda: worker.poll() is None)
            for _ in range(5):  # anything extra would show up now
                sink.poll_batch()
            # The sink's group commits exactly the log-end offsets of the clean topic (read from the broker),
            # also when a rebalance moved a batch's partitions during its insert.
            commit_reaches_the_end(sink, kafka, f"{ns}-sink", topics.clean)
        finally:
            sink.close()

    stored = {r[0] for r in writer.client.query(f"SELECT event_id FROM {table}").result_rows}
    assert rows() == len(expected_ids) == EVENTS + 100
    assert stored == expected_ids
    assert message_count(kafka.bootstrap_servers, topics.clean) == EVENTS + 100
    assert message_count(kafka.bootstrap_servers, topics.dlq) == len(GARBAGE)
    letters = writer.client.query(f"SELECT raw, reason, dataset, source_topic FROM {database}.dead_letters "
                                  "ORDER BY source_offset", column_formats={"raw": "bytes"}).result_rows
    assert [r[0] for r in letters] == GARBAGE
    assert [r[1] for r in letters][:2] == ["empty", "bad_magic"]
    assert letters[2][1] in ("avro_decode", "unknown_schema")
    assert {(r[2], r[3]) for r in letters} == {("population.citizen", topics.raw)}


def test_dead_letters_keep_raw_bytes_and_source_offsets(kafka: KafkaSettings, hub_settings: HubSettings) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    topics = catalogue.get("population.citizen").topics(ns)
    raw = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    raw.produce(topics.raw, key=b"k", value=b"\x07not framed", partition=2)
    assert raw.flush(30) == 0

    with streams_worker(kafka, hub_settings) as worker:
        consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"{ns}-dlq-reader",
                             "auto.offset.reset": "earliest"})
        consumer.subscribe([topics.dlq])
        try:
            msg = None
            for _ in range(120):
                msg = consumer.poll(1.0)
                if msg is not None and not msg.error():
                    break
                assert worker.poll() is None, "streams worker died"
            assert msg is not None and not msg.error()
            headers = {k: v.decode() for k, v in msg.headers()}
        finally:
            consumer.close()
    assert msg.value() == b"\x07not framed"
    assert (headers["reason"], headers["source_topic"], headers["source_partition"], headers["source_offset"]) == (
        "bad_magic", topics.raw, "2", "0")
