"""ClickHouse unavailable for 60 s mid-run, on real Kafka + chdb: the sink retries with backoff and pauses,
holds at most two batches, loses nothing, doubles nothing and catches up; operators' lag shows the stall.

The outage is made at the writer seam (every insert fails like an unreachable server) while events keep
arriving; lag is read the way operators read it (:class:`monitor.offsets.OffsetReader`)."""

from __future__ import annotations

import resource
import threading
import time
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any

from hub.catalogue import Dataset, load_catalogue
from hub.clickhouse import connect
from hub.errors import ClickHouseError
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings, SinkSettings
from hub.topics import ensure_topics, hub_topics
from hub.wire import SchemaCache
from monitor.offsets import OffsetReader
from producers.envelope import Source, envelope
from producers.simulator import PopulationSimulator
from registry.store import KafkaSchemaStore
from sinks.clickhouse import ClickHouseWriter
from sinks.consumer import KafkaSink
from sinks.rows import Located
from tests.integration.pipeline import WriterBetween, commit_reaches_the_end, drain_until, produce_clean

OUTAGE_S = 60.0
BEFORE = 1000  # events landed before the outage
DURING = 12_000  # events produced while ClickHouse is down, in steady chunks
BATCH = 500


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


@dataclass(frozen=True)
class Sample:
    at: float
    committed: int  # the sink group's committed offsets, summed over the clean topic's partitions
    lag: int  # what `hub lag` shows for the sink group
    lag_s: float  # and its lag in seconds: newest message's time minus the oldest unconsumed one's
    in_flight: int  # messages the sink holds, consumed and not settled
    rss_mb: float


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def _sampler(kafka: KafkaSettings, ns: str, topic: str, sink: KafkaSink, stop: threading.Event,
             out: list[Sample]) -> None:
    reader = OffsetReader(kafka.bootstrap_servers)
    try:
        while not stop.wait(2.0):
            rows = [r for r in reader.snapshot(ns).partitions if r.group == f"{ns}-sink" and r.topic == topic]
            out.append(Sample(time.monotonic(), sum(r.committed or 0 for r in rows), sum(r.lag for r in rows),
                              max((r.lag_seconds for r in rows), default=0.0),
                              sink.stats.in_flight, _rss_mb()))
    finally:
        reader.close()


def test_a_60s_outage_pauses_holds_two_batches_and_catches_up(kafka: KafkaSettings, hub_settings: HubSettings,
                                                              chdb_url: str, database: str) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    dataset = catalogue.get("population.citizen")
    clean_topic = dataset.topics(ns).clean
    store = KafkaSchemaStore(kafka.bootstrap_servers, f"_schemas_{ns}")
    schema_id = store.register(f"{clean_topic}-value", dataset.envelope_schema)
    events = [envelope(dataset, c.op, c.key, c.record, Source("BCA", "t", i))
              for i, c in enumerate(PopulationSimulator(seed=3).changes(BEFORE + DURING))]
    writer = ClickHouseWriter(connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings),
                              database, catalogue)
    writer.ensure_tables()
    flaky = FlakyWriter(writer)
    sink = KafkaSink(kafka.bootstrap_servers, f"{ns}-sink", ns, catalogue, flaky,  # type: ignore[arg-type]
                     SchemaCache(store.schema, raw_times=True), SinkSettings(batch_size=BATCH, batch_timeout_s=0.1))
    sink.subscribe()
    table = f"{database}.population_citizen_history"

    def rows() -> int:
        return int(writer.client.query(f"SELECT count() FROM {table}").result_rows[0][0])

    samples: list[Sample] = []
    stop = threading.Event()
    try:
        produce_clean(kafka, dataset, ns, schema_id, dataset.parsed_envelope, events[:BEFORE])
        drain_until(sink, lambda: rows() >= BEFORE)
        commit_reaches_the_end(sink, kafka, f"{ns}-sink", clean_topic)

        last_before = int(writer.client.query(f"SELECT toUnixTimestamp64Milli(max(_sink_time)) FROM {table}")
                          .result_rows[0][0])
        flaky.down.set()
        down_at = time.monotonic()
        sampler = threading.Thread(target=_sampler, args=(kafka, ns, clean_topic, sink, stop, samples))
        sampler.start()
        producer = threading.Thread(target=_produce_steadily,
                                    args=(kafka, dataset, ns, schema_id, events[BEFORE:], OUTAGE_S * 0.5))
        producer.start()
        threading.Timer(OUTAGE_S, flaky.down.clear).start()
        drain_until(sink, lambda: rows() >= BEFORE + DURING, timeout_s=OUTAGE_S + 120)
        up_at = down_at + OUTAGE_S
        caught_up_s = time.monotonic() - up_at
        producer.join(30)
        commit_reaches_the_end(sink, kafka, f"{ns}-sink", clean_topic)
        for _ in range(5):  # anything extra would show up now
            sink.poll_batch()
    finally:
        flaky.down.clear()
        stop.set()
        sink.close()

    count, distinct = writer.client.query(f"SELECT count(), uniqExact(event_id) FROM {table}").result_rows[0]
    assert (int(count), int(distinct)) == (BEFORE + DURING, BEFORE + DURING), "lost or doubled rows"
    # Nothing landed while ClickHouse was down (ClickHouse's own clock: when each insert landed).
    first_after = int(writer.client.query(f"SELECT min(toUnixTimestamp64Milli(_sink_time)) FROM {table} "
                                          f"WHERE toUnixTimestamp64Milli(_sink_time) > {last_before}").result_rows[0][0])
    assert (first_after - last_before) / 1000 >= OUTAGE_S - 1

    during = [s for s in samples if down_at + 2 < s.at < up_at - 1]
    assert len(during) >= 10, f"too few samples while ClickHouse was down: {len(samples)}"
    # Nothing was committed while the target was down, and operators saw the lag grow to the backlog.
    assert {s.committed for s in during} == {BEFORE}
    assert max(s.lag for s in during) == DURING
    assert max(s.lag_s for s in during) >= OUTAGE_S * 0.4  # the events arrived over half the outage
    # Memory stays bounded: the sink held at most two batches, whatever the backlog on the broker.
    assert max(s.in_flight for s in samples) <= 2 * BATCH
    assert sink.stats.in_flight == 0
    assert flaky.refused >= 5 and sink.stats.retries == flaky.refused
    rss = [s.rss_mb for s in during]
    print(f"\noutage {OUTAGE_S:.0f}s: {DURING} events arrived, peak lag {max(s.lag for s in during)} "
          f"({max(s.lag_s for s in during):.0f}s), "
          f"peak held {max(s.in_flight for s in samples)} messages, {flaky.refused} refused inserts, "
          f"RSS {min(rss):.0f}-{max(rss):.0f} MB, caught up {caught_up_s:.1f}s after ClickHouse returned")
    assert max(rss) - min(rss) < 200, "the test process grew by more than 200 MB during the outage"


def _produce_steadily(kafka: KafkaSettings, dataset: Dataset, ns: str, schema_id: int,
                      events: list[dict[str, Any]], over_s: float, chunks: int = 30) -> None:
    """``events`` in ``chunks`` equal parts spread over ``over_s`` seconds: a source that keeps sending."""
    size = -(-len(events) // chunks)
    for i in range(chunks):
        produce_clean(kafka, dataset, ns, schema_id, dataset.parsed_envelope, events[i * size:(i + 1) * size])
        time.sleep(over_s / chunks)
