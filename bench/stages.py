"""One function per measured stage; each returns plain figures (no assertions: a benchmark measures)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer

from bench.workload import Workload
from hub.catalogue import Catalogue
from hub.clickhouse import connect
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings, SinkSettings
from hub.topics import ensure_topics
from hub import wire
from hub.wire import SchemaCache
from producers.envelope import EventEncoder
from producers.sdk import HubProducer
from registry.store import KafkaSchemaStore
from sinks.clickhouse import ClickHouseWriter
from sinks.consumer import KafkaSink
from sinks.ddl import history_columns
from sinks.rows import Located, to_columns

PRODUCER = {"enable.idempotence": True, "acks": "all", "linger.ms": 5, "batch.size": 512 * 1024,
            "compression.type": "lz4", "queue.buffering.max.messages": 500_000}


def _rate(count: int, seconds: float) -> dict[str, float]:
    return {"events": count, "seconds": round(seconds, 3), "per_second": round(count / seconds, 1)}


def bare_produce(kafka: KafkaSettings, topic: str, work: Workload) -> dict[str, float]:
    """confluent-kafka producing the pre-encoded bytes: the producing ceiling. Timed like the SDK's stage,
    until every message is acknowledged; delivery reports are served every 32 messages, as the SDK does
    (serving them after every message cost the bare loop about a quarter of its CPU)."""
    ensure_topics(kafka, [topic])
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers, **PRODUCER})
    start = time.perf_counter()
    for i, (key, value) in enumerate(work.encoded):
        while True:
            try:
                producer.produce(topic, key=key, value=value)
                break
            except BufferError:
                producer.poll(0.01)
        if not i & 0x1F:
            producer.poll(0)
    producer.flush()
    return _rate(len(work.encoded), time.perf_counter() - start)


def sdk_produce(kafka: KafkaSettings, namespace: str, catalogue: Catalogue, store: KafkaSchemaStore,
                work: Workload) -> dict[str, float]:
    """The SDK: validate, wrap, serialize and send the same records."""
    producer = HubProducer(kafka.bootstrap_servers, namespace, catalogue, store, system="bench")
    producer.schema_id(work.dataset)  # registration is set-up, not throughput
    name = work.dataset.name
    start = time.perf_counter()
    for op, key, record in work.records:
        producer.emit(name, op, key, record)
    report = producer.flush()
    seconds = time.perf_counter() - start
    producer.close()
    return {**_rate(report.acknowledged, seconds), "failed": len(report.failed)}


def sdk_encode(work: Workload, schema_id: int) -> dict[str, float]:
    """The SDK's own work without Kafka: validating, wrapping and encoding the same records into framed
    messages (its encoder, as :meth:`producers.sdk.HubProducer.emit` calls it)."""
    encoder = EventEncoder(work.dataset)
    header = wire.frame(schema_id, b"")
    start = time.perf_counter()
    for i, (op, key, record) in enumerate(work.records):
        encoder.encode(op, key, record, "bench", i, prefix=header)
    return _rate(len(work.records), time.perf_counter() - start)


def consume_decode(kafka: KafkaSettings, topics: list[str], cache: SchemaCache, expected: int) -> dict[str, float]:
    """confluent-kafka consuming in batches and fastavro decoding each event: the processing ceiling."""
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"bench-ceiling-{time.time()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe(topics)
    seen = 0
    start = None
    while seen < expected:
        batch = consumer.consume(10_000, 1.0)
        if batch and start is None:
            start = time.perf_counter()
        for msg in batch:
            if not msg.error():
                cache.decode(msg.value())
                seen += 1
    seconds = time.perf_counter() - (start or time.perf_counter())
    consumer.close()
    return _rate(seen, seconds)


def chdb_insert(writer: ClickHouseWriter, work: Workload, cache: SchemaCache, batch: int = 10_000) -> dict[str, float]:
    """Columnar inserts of the same rows straight into the embedded engine: the sink's ceiling."""
    events = [Located("bench", 0, i, cache.decode(value)[1]) for i, (_, value) in enumerate(work.encoded)]
    columns = history_columns(work.dataset)
    table = f"{writer.database}.bench_insert"
    writer.client.command(f"CREATE TABLE IF NOT EXISTS {table} AS {writer.database}."
                          f"{work.dataset.table_stem}_history")
    prepared = [to_columns(columns, events[i:i + batch]) for i in range(0, len(events), batch)]
    start = time.perf_counter()
    for i, data in enumerate(prepared):
        writer.client.insert(table, data, column_names=[c.name for c in columns],
                             column_type_names=[c.type for c in columns], column_oriented=True,
                             settings={"insert_deduplication_token": f"bench/{i}"})
    return _rate(len(events), time.perf_counter() - start)


def sink_alone(kafka: KafkaSettings, namespace: str, catalogue: Catalogue, writer: ClickHouseWriter,
               cache: SchemaCache, expected: int) -> dict[str, float]:
    """The sink consuming a pre-loaded clean topic into history + current tables, timed from the poll that
    took the first messages (not from the group join before it) until every row landed."""
    sink = KafkaSink(kafka.bootstrap_servers, f"{namespace}-bench-sink", namespace, catalogue, writer, cache,
                     SinkSettings(batch_size=20_000, batch_timeout_s=0.2))
    sink.subscribe()
    start = None
    while sink.stats.rows < expected:
        polled_at = time.perf_counter()
        sink.poll_batch()  # returns the rows of the batch before: the first batch landed is not the first taken
        if start is None and (sink.stats.in_flight or sink.stats.rows):
            start = polled_at
    seconds = time.perf_counter() - (start or time.perf_counter())
    sink.close()
    return _rate(sink.stats.rows, seconds)


def median_round(rounds: list[dict[str, float]]) -> dict[str, Any]:
    """The round with the median rate, with every round's rate beside it."""
    ordered = sorted(rounds, key=lambda r: r["per_second"])
    return {**ordered[len(ordered) // 2], "rounds_per_second": [r["per_second"] for r in rounds]}


def wait_for(what: Callable[[], int], target: int, timeout_s: float) -> float:
    start = time.perf_counter()
    while what() < target:
        if time.perf_counter() - start > timeout_s:
            raise TimeoutError(f"stuck at {what()} of {target}")
        time.sleep(0.2)
    return time.perf_counter() - start


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def local_writer(tmp: Path, database: str, catalogue: Catalogue) -> ClickHouseWriter:
    hub = HubSettings(data_dir=tmp)
    writer = ClickHouseWriter(connect(ClickHouseSettings(url=f"chdb://{tmp / 'chdb'}", database=database), hub),
                              database, catalogue)
    writer.ensure_tables()
    return writer


def noop(*_: Any) -> None:
    return None
