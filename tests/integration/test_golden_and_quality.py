"""Golden records and quality metrics on a real broker: a faust worker with only these agents, fed with the
clean events of a simulated run, killed with SIGKILL half-way and restarted."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from confluent_kafka import Producer

from hub import wire
from hub.catalogue import Catalogue, load_catalogue
from hub.settings import HubSettings, KafkaSettings
from producers.simulator import Change, MinistriesSimulator, build_manifest
from registry.store import KafkaSchemaStore
from streams.quality.publish import quality_topic
from tests.integration.golden_app import create_topics, golden_worker
from tests.integration.golden_checks import Clean, GoldenState, Run, TopicReader, until
from tests.unit.test_golden_fold import accepted

COUNT = 6000
SYSTEM = "simulator"


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


@pytest.fixture
def hub(tmp_path: Any, namespace: str) -> HubSettings:
    return HubSettings(data_dir=tmp_path / "hub", namespace=namespace)


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
            final = golden.settle(run.expected, lambda: worker.poll() is None, 300)
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
            final = golden.settle(run.expected, lambda: first.poll() is None, 300)
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
