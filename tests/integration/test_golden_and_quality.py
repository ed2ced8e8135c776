"""Golden records and quality metrics on a real broker: a faust worker with only these agents, fed with the
clean events of a simulated run, killed with SIGKILL half-way and restarted."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from hub import wire
from hub.catalogue import Catalogue, load_catalogue
from hub.settings import HubSettings, KafkaSettings
from producers.simulator import Change, Manifest, MinistriesSimulator, build_manifest
from registry.store import KafkaSchemaStore
from streams.golden.agents import golden_topics
from streams.golden.fold import fold
from streams.quality.publish import quality_topic
from tests.integration.golden_app import create_topics, golden_worker
from tests.unit.test_golden_fold import accepted, source_event

COUNT = 6000
SYSTEM = "simulator"
Clean = list[tuple[Change, dict[str, Any] | None]]


def clean_envelope(catalogue: Catalogue, change: Change, record: dict[str, Any] | None) -> dict[str, Any]:
    owner = catalogue.get(change.dataset).owner.code
    return {"event_id": change.event_id, "op": change.op, "key": change.key, "after": record,
            "source": {"ministry": owner, "system": SYSTEM, "position": change.source_position},
            "event_time": change.event_time, "ingest_time": change.event_time}


def produce_clean(kafka: KafkaSettings, namespace: str, catalogue: Catalogue, store: KafkaSchemaStore,
                  events: Clean, timestamp_ms: int = 0) -> None:
    ids = {d.name: store.register(f"{d.topics(namespace).clean}-value", d.envelope_schema) for d in catalogue}
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers, "enable.idempotence": True})
    for change, record in events:
        dataset = catalogue.get(change.dataset)
        value = wire.encode(ids[dataset.name], dataset.parsed_envelope, clean_envelope(catalogue, change, record))
        producer.produce(dataset.topics(namespace).clean, key=change.key.encode(), value=value, timestamp=timestamp_ms)
        producer.poll(0)
    assert producer.flush(60) == 0


class TopicReader:
    """Reads topics from the beginning, decoding every value; ``read()`` returns what arrived since."""

    def __init__(self, kafka: KafkaSettings, topics: list[str], store: KafkaSchemaStore) -> None:
        self._schemas = wire.SchemaCache(store.schema)
        self._consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": "unused",
                                   "enable.auto.commit": False})
        self._consumer.assign([TopicPartition(t, p, 0) for t in topics for p in range(kafka.partitions)])

    def read(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for msg in self._consumer.consume(5000, 0.5):
            if msg.error() is None:
                found.append((str(msg.topic()), self._schemas.decode(msg.value())[1]))
        return found

    def close(self) -> None:
        self._consumer.close()


def until(done: Callable[[], bool], worker: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert worker.poll() is None, "the worker died; see golden-worker.log in the test's data dir"
        assert time.monotonic() < deadline, f"{what} within {timeout_s}s"


@pytest.fixture
def hub(tmp_path: Any, namespace: str) -> HubSettings:
    return HubSettings(data_dir=tmp_path / "hub", namespace=namespace)


class GoldenState:
    """The golden records as the golden topics say: per key, the change with the highest revision."""

    def __init__(self, kafka: KafkaSettings, namespace: str, registry: KafkaSchemaStore) -> None:
        self.reader = TopicReader(kafka, golden_topics(namespace), registry)
        self._latest: dict[tuple[str, str], dict[str, Any]] = {}

    def __call__(self) -> dict[str, dict[str, dict[str, Any]]]:
        for topic, envelope in self.reader.read():
            entity = topic.rsplit(".", 1)[1]
            held = self._latest.get((entity, envelope["key"]))
            if held is None or envelope["source"]["position"] > held["source"]["position"]:
                self._latest[(entity, envelope["key"])] = envelope
        found: dict[str, dict[str, dict[str, Any]]] = {"citizen": {}, "enterprise": {}}
        for (entity, key), envelope in sorted(self._latest.items()):
            if envelope["op"] != "d":
                found[entity][key] = envelope["after"]
        return found


@dataclass
class Run:
    """A simulated run: its clean events, and the golden records they must give (with provenance)."""

    catalogue: Catalogue
    manifest: Manifest
    events: Clean
    expected: dict[str, dict[str, dict[str, Any]]]

    @classmethod
    def simulate(cls, seed: int, count: int) -> Run:
        catalogue = load_catalogue()
        changes = list(MinistriesSimulator(seed=seed, dirt=0.1).changes(count))
        manifest = build_manifest(changes, catalogue)
        events = accepted(changes, manifest)
        folded = fold(source_event(c, r) for c, r in events)
        expected = {e: {k: r.to_avro() for k, r in folded.records(e).items()} for e in ("citizen", "enterprise")}
        return cls(catalogue, manifest, events, expected)

    def part(self, index: int, parts: int) -> Clean:
        size = -(-len(self.events) // parts)
        return self.events[index * size:(index + 1) * size]

    def check(self, final: dict[str, dict[str, dict[str, Any]]]) -> None:
        assert final == self.expected
        without_provenance = {e: {k: {a: v for a, v in r.items() if a != "provenance"} for k, r in records.items()}
                              for e, records in final.items()}
        assert without_provenance == self.manifest.golden


def prepare(kafka: KafkaSettings, hub: HubSettings, catalogue: Catalogue) -> KafkaSchemaStore:
    create_topics(kafka, hub, catalogue)
    return KafkaSchemaStore(kafka.bootstrap_servers)


@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])  # rocksdb:// uses the rocksdict binding
def test_golden_records_on_the_broker_equal_the_manifest_across_a_sigkill(kafka: KafkaSettings, hub: HubSettings,
                                                                          store: str) -> None:
    run = Run.simulate(seed=9, count=COUNT)
    registry = prepare(kafka, hub, run.catalogue)
    golden = GoldenState(kafka, hub.namespace, registry)
    try:
        produce_clean(kafka, hub.namespace, run.catalogue, registry, run.part(0, 2))
        with golden_worker(kafka, hub, store) as worker:
            until(lambda: len(golden()["citizen"]) > 200, worker, 120, "no golden citizen published")
            worker.kill()  # SIGKILL: no commit, no flush
            worker.wait(10)
        produce_clean(kafka, hub.namespace, run.catalogue, registry, run.part(1, 2))
        with golden_worker(kafka, hub, store) as worker:
            until(lambda: golden() == run.expected, worker, 300, "the golden topics did not reach the manifest")
            time.sleep(3)  # anything late would show now
            final = golden()
    finally:
        golden.reader.close()
    run.check(final)


def test_golden_records_survive_going_from_one_worker_to_two_and_back(kafka: KafkaSettings, hub: HubSettings) -> None:
    run = Run.simulate(seed=10, count=COUNT)
    registry = prepare(kafka, hub, run.catalogue)
    golden = GoldenState(kafka, hub.namespace, registry)
    second_hub = HubSettings(data_dir=hub.data_dir.parent / "second", namespace=hub.namespace)
    try:
        with golden_worker(kafka, hub) as first:
            produce_clean(kafka, hub.namespace, run.catalogue, registry, run.part(0, 3))
            until(lambda: len(golden()["citizen"]) > 200, first, 120, "no golden citizen published")
            with golden_worker(kafka, second_hub) as second:
                produce_clean(kafka, hub.namespace, run.catalogue, registry, run.part(1, 3))
                until(lambda: len(golden()["citizen"]) > len(run.expected["citizen"]) // 2, second, 180,
                      "two workers did not get past half the citizens")
            produce_clean(kafka, hub.namespace, run.catalogue, registry, run.part(2, 3))
            until(lambda: golden() == run.expected, first, 300, "the golden topics did not reach the manifest")
            time.sleep(3)
            final = golden()
    finally:
        golden.reader.close()
    run.check(final)


def test_quality_windows_count_what_the_topics_hold(kafka: KafkaSettings, hub: HubSettings) -> None:
    catalogue = load_catalogue()
    ns = hub.namespace
    changes = list(MinistriesSimulator(seed=4, dirt=0.1).changes(1500))
    events = accepted(changes, build_manifest(changes, catalogue))
    store = prepare(kafka, hub, catalogue)
    sent_ms = int(time.time() * 1000) - 10 * 60_000  # ten minutes ago: the windows are due at the first tick
    produce_clean(kafka, ns, catalogue, store, events, sent_ms)
    dlq = catalogue.get("land.parcel").topics(ns).dlq
    raw = catalogue.get("land.parcel").topics(ns).raw
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    for value, reason in ((b"", "empty"), (b"{}", "bad_magic"), (b"\x01\x02", "bad_magic")):
        producer.produce(raw, key=b"bad", value=value, timestamp=sent_ms)
        producer.produce(dlq, key=b"bad", value=value, headers={"reason": reason.encode()}, timestamp=sent_ms)
    assert producer.flush(30) == 0
    reader = TopicReader(kafka, [quality_topic(ns)], store)
    windows: dict[tuple[str, str], dict[str, Any]] = {}  # every message was sent in the same minute

    def totals() -> dict[tuple[str, str], tuple[int, int, dict[str, int]]]:
        for _, record in reader.read():
            key = (record["dataset"], record["source_system"])
            if key not in windows or record["revision"] > windows[key]["revision"]:
                windows[key] = record
        return {k: (r["received"], r["valid"], r["rejected_by_reason"]) for k, r in sorted(windows.items())}

    expected: dict[tuple[str, str], tuple[int, int, dict[str, int]]] = {
        (d, SYSTEM): (0, n, {}) for d, n in sorted(Counter(c.dataset for c, _ in events).items())}
    expected[("land.parcel", "unknown")] = (3, 0, {"empty": 1, "bad_magic": 2})
    try:
        with golden_worker(kafka, hub) as worker:
            until(lambda: totals() == expected, worker, 180, "the quality windows did not add up")
            time.sleep(3)  # anything extra would show now
            final = totals()
    finally:
        reader.close()
    assert final == expected
    start = datetime.fromtimestamp(sent_ms // 60_000 * 60, timezone.utc)
    window = {"window_start": start, "window_end": start + timedelta(minutes=1)}
    assert {k: v for k, v in windows[("land.parcel", "unknown")].items() if k != "revision"} == {
        "dataset": "land.parcel", "source_system": "unknown", **window, "received": 3, "valid": 0, "rejected": 3,
        "rejected_by_reason": {"empty": 1, "bad_magic": 2}, "records": 0, "completeness": {},
        "freshness": {"count": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}}
    citizens = [(c, r) for c, r in events if c.dataset == "population.citizen"]
    sample = windows[("population.citizen", SYSTEM)]
    with_records = [r for _, r in citizens if r is not None]
    assert ({k: sample[k] for k in ("window_start", "window_end", "records")},
            {k: sample["freshness"][k] for k in ("count", "max_ms")}) == (
        {**window, "records": len(with_records)},
        {"count": len(citizens), "max_ms": sent_ms - int(min(c.event_time for c, _ in citizens).timestamp() * 1000)})
    assert sample["completeness"] == {
        path: sum(1 for r in with_records if _at(r, path) is not None) / len(with_records)
        for path in ("cccd", "full_name", "date_of_birth", "sex", "place_of_origin", "permanent_address.line",
                     "permanent_address.ward_code", "permanent_address.province_code", "ethnicity", "nationality",
                     "phone")}


def _at(record: dict[str, Any], path: str) -> Any:
    for step in path.split("."):
        record = record.get(step) if isinstance(record, dict) else None  # type: ignore[assignment]
    return record
