"""The sink's exactly-once effect: a crash between insert and commit neither loses nor doubles a row."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from hub import wire
from hub.catalogue import Dataset, load_catalogue
from hub.clickhouse import connect
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings
from hub.topics import ensure_topics, hub_topics
from producers.envelope import Source, envelope
from producers.sdk import HubProducer
from producers.simulator import PopulationSimulator
from registry.store import KafkaSchemaStore
from sinks.clickhouse import ClickHouseWriter
from sinks.rows import Located
from tests.integration.pipeline import WriterBetween, commit_reaches_the_end, drain_until, make_sink, produce_clean

EVENTS = 2000


class CrashAfterInsert(WriterBetween):
    """A writer that inserts for real, then dies before the caller can commit (a crash at the worst time)."""

    def write(self, dataset: Dataset, events: Sequence[Located], token: str,
              writer_schemas: Sequence[dict[str, Any]] = ()) -> None:
        super().write(dataset, events, token, writer_schemas)
        raise SystemError("simulated crash after insert, before commit")


def test_crash_between_insert_and_commit(kafka: KafkaSettings, hub_settings: HubSettings, chdb_url: str,
                                         database: str) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    dataset = catalogue.get("population.citizen")
    # Write straight to the clean topic: this test is about the sink alone.
    producer = HubProducer(kafka.bootstrap_servers, ns, catalogue, KafkaSchemaStore(kafka.bootstrap_servers))
    schema_id = producer.schema_id(dataset)
    from confluent_kafka import Producer

    from producers.envelope import Source, envelope

    clean = Producer({"bootstrap.servers": kafka.bootstrap_servers, "enable.idempotence": True})
    for i, c in enumerate(PopulationSimulator(seed=5).changes(EVENTS)):
        event = envelope(dataset, c.op, c.key, c.record, Source("BCA", "t", i))
        clean.produce(dataset.topics(ns).clean, key=c.key.encode(),
                      value=wire.encode(schema_id, dataset.parsed_envelope, event))
    assert clean.flush(30) == 0

    writer = ClickHouseWriter(connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings),
                              database, catalogue)
    writer.ensure_tables()
    table = f"{database}.population_citizen_history"

    def rows() -> tuple[int, int]:
        count, distinct = writer.client.query(f"SELECT count(), uniqExact(_partition, _offset) FROM {table}").result_rows[0]
        return int(count), int(distinct)

    crashing = make_sink(kafka, hub_settings, CrashAfterInsert(writer))  # type: ignore[arg-type]
    deadline = time.monotonic() + 60
    try:
        while True:  # the first batch that reaches ClickHouse crashes the sink before its commit
            assert time.monotonic() < deadline, "no batch reached the sink"
            try:
                crashing.poll_batch()
            except SystemError:
                break
    finally:
        crashing.close()
    landed_before_restart = rows()[0]
    assert landed_before_restart > 0

    sink = make_sink(kafka, hub_settings, writer)
    try:
        drain_until(sink, lambda: rows()[0] >= EVENTS)
        for _ in range(5):
            sink.poll_batch()
    finally:
        sink.close()
    assert rows() == (EVENTS, EVENTS)


def test_same_token_inserts_once(hub_settings: HubSettings, chdb_url: str, database: str) -> None:
    catalogue = load_catalogue()
    writer = ClickHouseWriter(connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings),
                              database, catalogue)
    writer.ensure_tables()
    dataset = catalogue.get("population.citizen")
    from datetime import datetime, timezone

    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    events = [Located("x", 0, i, {"event_id": f"e{i}", "op": "d", "key": str(i), "after": None, "event_time": t,
                                  "ingest_time": t, "source": {"ministry": "BCA", "system": "s", "position": i}})
              for i in range(10)]
    writer.write(dataset, events, "x/0/0-9")
    writer.write(dataset, events, "x/0/0-9")
    writer.write(dataset, events[:5], "x/0/0-4")
    count = writer.client.query(f"SELECT count() FROM {database}.population_citizen_history").result_rows[0][0]
    assert count == 15
    current = writer.client.query(f"SELECT count() FROM {database}.population_citizen_current").result_rows[0][0]
    assert current == 15  # the same tokens deduplicate the current-state table too


class GatedWriter(WriterBetween):
    """A writer whose first insert waits for ``gate``: the test moves partitions while it is running."""

    def __init__(self, inner: ClickHouseWriter) -> None:
        super().__init__(inner)
        self.entered, self.gate = threading.Event(), threading.Event()

    def write(self, dataset: Dataset, events: Sequence[Located], token: str,
              writer_schemas: Sequence[dict[str, Any]] = ()) -> None:
        self.entered.set()
        assert self.gate.wait(60), "the test never opened the gate"
        super().write(dataset, events, token, writer_schemas)


def test_a_batch_stored_while_its_partitions_moved_is_committed_on_reassignment(
        kafka: KafkaSettings, hub_settings: HubSettings, chdb_url: str, database: str,
        caplog: pytest.LogCaptureFixture) -> None:
    """Operators read lag from the group's committed offsets: they must reach the log end even when a
    rebalance skipped a batch's commit (its rows are in ClickHouse, the next owner resumes after them)."""
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    dataset = catalogue.get("population.citizen")
    clean_topic = dataset.topics(ns).clean
    schema_id = HubProducer(kafka.bootstrap_servers, ns, catalogue, KafkaSchemaStore(kafka.bootstrap_servers)).schema_id(dataset)
    produce_clean(kafka, dataset, ns, schema_id, dataset.parsed_envelope,
                  [envelope(dataset, c.op, c.key, c.record, Source("BCA", "t", i))
                   for i, c in enumerate(PopulationSimulator(seed=6).changes(400))])
    writer = ClickHouseWriter(connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings),
                              database, catalogue)
    writer.ensure_tables()
    gated = GatedWriter(writer)
    caplog.set_level(logging.INFO, logger="hub.sink")

    sink = make_sink(kafka, hub_settings, gated)  # type: ignore[arg-type]
    other_stop = threading.Event()
    try:
        deadline = time.monotonic() + 60
        while not gated.entered.is_set():  # until a batch's insert is running (and held at the gate)
            assert time.monotonic() < deadline, "no batch reached the sink"
            sink.poll_batch()
            gated.entered.wait(1)
        # A second member joins the group: the running batch's partitions are revoked under it.
        other = threading.Thread(target=_member, args=(kafka.bootstrap_servers, f"{ns}-sink", clean_topic, other_stop))
        other.start()
        time.sleep(5)  # past a heartbeat: the sink has been told to rejoin
        gated.gate.set()
        sink.poll_batch()  # serves the revocation, then finds the batch's partitions gone: no commit
        other_stop.set()
        other.join(30)
        drain_until(sink, lambda: _history_rows(writer, database) >= 400)
        # The sink gets the other member's partitions back once it has left.
        commit_reaches_the_end(sink, kafka, f"{ns}-sink", clean_topic)
    finally:
        other_stop.set()
        gated.gate.set()
        sink.close()

    assert _history_rows(writer, database) == 400
    resumed = {r.getMessage().split(" at ")[0] for r in caplog.records if "stored in ClickHouse" in r.getMessage()}
    assert len(resumed) == kafka.partitions, f"every partition resumes from ClickHouse once: {resumed}"


def _member(bootstrap: str, group: str, topic: str, stop: threading.Event) -> None:
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                         "session.timeout.ms": 10_000})
    consumer.subscribe([topic])
    try:
        while not stop.is_set():
            consumer.poll(0.2)
    finally:
        consumer.close()


def _history_rows(writer: ClickHouseWriter, database: str) -> int:
    return int(writer.client.query(f"SELECT count() FROM {database}.population_citizen_history").result_rows[0][0])

