"""Helpers to run the real pipeline pieces in tests: the faust worker as a subprocess, the sink in-process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition

from hub import wire
from hub.catalogue import Catalogue, Dataset, load_catalogue
from hub.settings import HubSettings, KafkaSettings, SinkSettings
from hub.wire import SchemaCache
from registry.store import KafkaSchemaStore
from sinks.clickhouse import ClickHouseWriter
from sinks.consumer import KafkaSink
from sinks.dead_letters import DeadLetter
from sinks.rows import Located
from tests.integration.stacks import dump_stacks


@contextmanager
def streams_worker(kafka: KafkaSettings, hub: HubSettings) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m streams`` in a subprocess, its log added to ``<data dir>/streams.log``; terminated on exit.
    ``HUB_TEST_LOG_LEVEL`` (default ``warn``) sets its log level, e.g. ``info`` to see faust's rebalances."""
    env = dict(os.environ, HUB_KAFKA_BOOTSTRAP=kafka.bootstrap_servers, HUB_NAMESPACE=hub.namespace,
               HUB_DATA_DIR=str(hub.data_dir), HUB_KAFKA_PARTITIONS=str(kafka.partitions),
               HUB_LOG_LEVEL=os.environ.get("HUB_TEST_LOG_LEVEL", "warn"))
    hub.data_dir.mkdir(parents=True, exist_ok=True)
    log = open(Path(hub.data_dir) / "streams.log", "ab")  # a restarted worker adds to it
    proc = subprocess.Popen([sys.executable, "-m", "streams"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    except BaseException:
        dump_stacks(proc)
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def produce_clean(kafka: KafkaSettings, dataset: Dataset, ns: str, schema_id: int, parsed: Any,
                  events: list[dict[str, Any]]) -> None:
    """Write envelopes straight to ``dataset``'s clean topic (tests of the sink alone), framed with ``schema_id``."""
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers, "enable.idempotence": True})
    for e in events:
        producer.produce(dataset.topics(ns).clean, key=e["key"].encode(), value=wire.encode(schema_id, parsed, e))
    assert producer.flush(30) == 0


def make_sink(kafka: KafkaSettings, hub: HubSettings, writer: ClickHouseWriter,
              catalogue: Catalogue | None = None) -> KafkaSink:
    sink = KafkaSink(kafka.bootstrap_servers, f"{hub.namespace}-sink", hub.namespace, catalogue or load_catalogue(),
                     writer, SchemaCache(KafkaSchemaStore(kafka.bootstrap_servers).schema, raw_times=True),
                     SinkSettings(batch_size=1000, batch_timeout_s=0.1))
    sink.subscribe()
    return sink


def drain_until(sink: KafkaSink, done: Callable[[], bool], timeout_s: float = 120.0,
                alive: Callable[[], bool] = lambda: True) -> None:
    """Poll the sink until ``done()``; fails the test with a clear message on timeout or a dead worker."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"pipeline did not finish within {timeout_s}s (sink stats: {sink.stats})")
        if not alive():
            raise AssertionError("the streams worker died; see its log in the test's data dir")
        sink.poll_batch()


def commit_reaches_the_end(sink: KafkaSink, kafka: KafkaSettings, group: str, topic: str,
                           timeout_s: float = 60.0) -> None:
    """Poll the sink until the group's committed offsets of ``topic`` are its log-end offsets (what operators'
    lag reads); fails the test with both lists on timeout."""
    deadline = time.monotonic() + timeout_s
    while (offsets := committed_and_ends(kafka, group, topic))[0] != offsets[1]:
        if time.monotonic() > deadline:
            raise AssertionError(f"committed offsets never reached the log end (committed, ends): {offsets}")
        for _ in range(10):
            sink.poll_batch()


def committed_and_ends(kafka: KafkaSettings, group: str, topic: str) -> tuple[list[int], list[int]]:
    """The group's committed offsets and the log-end offsets of ``topic``, per partition, from the broker."""
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": group})
    try:
        parts = [TopicPartition(topic, p) for p in range(kafka.partitions)]
        committed = [tp.offset for tp in consumer.committed(parts, timeout=10)]
        ends = [consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in parts]
    finally:
        consumer.close()
    return committed, ends


class WriterBetween:
    """A fake at the sink's writer seam: passes everything to the real writer; subclasses change ``write``."""

    def __init__(self, inner: ClickHouseWriter) -> None:
        self.inner = inner

    def ensure_tables(self) -> None:
        self.inner.ensure_tables()

    def max_offsets(self, dataset: Dataset, topic: str) -> dict[int, int]:
        return self.inner.max_offsets(dataset, topic)

    def write_dead_letters(self, letters: Sequence[DeadLetter], token: str) -> None:
        self.inner.write_dead_letters(letters, token)

    def write(self, dataset: Dataset, events: Sequence[Located], token: str,
              writer_schemas: Sequence[dict[str, Any]] = ()) -> None:
        self.inner.write(dataset, events, token, writer_schemas)
