"""The SDK through broker outages on real Kafka: events spool while it is away and replay once it is back,
and the raw topic ends with every event exactly once, in emit order per key.

The stop/start tests run their own :class:`LocalKafka` (free ports, temp dir) so the session broker
stays up for the other tests; its data dir — with the ``_schemas`` topic — survives the restart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from hub import wire
from hub.catalogue import Catalogue, load_catalogue
from hub.local.kafka import LocalKafka
from hub.settings import HubSettings, KafkaSettings
from hub.topics import ensure_topics
from producers.sdk import DeliveryPolicy, DeliveryReport, HubProducer
from registry.store import KafkaSchemaStore
from tests.conftest import free_port

DATASET = "population.citizen"
FAST = DeliveryPolicy(delivery_timeout_s=3.0, probe_timeout_s=1.0, retry_min_s=0.2, retry_max_s=2.0)
QUIET = {"log_level": 0}  # librdkafka's "connection refused" lines are expected here


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A broker these tests may stop and start; failing to start it fails the tests (never a skip)."""
    settings = KafkaSettings(port=free_port(), controller_port=free_port(), partitions=4)
    broker = LocalKafka(settings, HubSettings(data_dir=tmp_path_factory.mktemp("own-kafka")))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def running(own_broker: LocalKafka) -> LocalKafka:
    """The own broker, started again if an earlier test failed while it was stopped."""
    own_broker.start()
    return own_broker


NAMES = ("Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Phúc", "Phạm Thị Hương", "Hoàng Đức Thắng")
STREETS = ("12 Tràng Tiền, Hoàn Kiếm", "45 Lê Lợi, Bến Nghé", "7 Trần Phú, Hải Châu", "88 Hùng Vương, Huế")


def changes(seed: int, count: int) -> Iterator[tuple[str, str, dict[str, object]]]:
    """(op, key, record) of citizens; about one in four changes updates a citizen seen before."""
    rng = random.Random(seed)
    people: list[dict[str, object]] = []
    for _ in range(count):
        if people and rng.random() < 0.25:
            person = {**rng.choice(people), "phone": f"09{rng.randrange(10**8):08d}"}
            yield "u", str(person["cccd"]), person
            continue
        person = {"cccd": f"0{seed:02d}{rng.randrange(10**9):09d}", "full_name": rng.choice(NAMES),
                  "date_of_birth": date(1950, 1, 1) + timedelta(days=rng.randrange(25_000)),
                  "sex": rng.choice(("MALE", "FEMALE")), "ethnicity": "Kinh",
                  "permanent_address": {"line": rng.choice(STREETS), "province_code": "01"}}
        people.append(person)
        yield "c", str(person["cccd"]), person


def emit(producer: HubProducer, seed: int, count: int, log: list[tuple[str, str]]) -> None:
    for op, key, record in changes(seed, count):
        log.append((key, producer.emit(DATASET, op, key, record)))


def read_topic(bootstrap: str, topic: str, store: KafkaSchemaStore, partitions: int) -> list[tuple[str, str]]:
    """Every message of ``topic`` as (key, event id), decoded, in offset order per partition."""
    cache = wire.SchemaCache(store.schema)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "sdk-outage-reader",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    found: list[tuple[str, str]] = []
    try:
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        done = {p for p, end in ends.items() if end == 0}
        idle = 0
        while len(done) < partitions:
            msg = consumer.poll(1.0)
            if msg is None:
                idle += 1
                assert idle < 30, f"reading {topic} stalled at partitions {sorted(set(ends) - done)}"
                continue
            if msg.error() is None:
                _, event = cache.decode(msg.value())
                assert msg.key() == event["key"].encode()
                found.append((event["key"], event["event_id"]))
            offset, partition = msg.offset(), msg.partition()
            if offset is not None and partition is not None and offset + (msg.error() is None) >= ends[partition]:
                done.add(partition)
    finally:
        consumer.close()
    return found


def by_key(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for key, event_id in pairs:
        grouped[key].append(event_id)
    return dict(grouped)


def assert_exactly_once(emitted: list[tuple[str, str]], found: list[tuple[str, str]]) -> None:
    duplicated = {i: n for i, n in Counter(i for _, i in found).items() if n > 1}
    assert duplicated == {}
    assert Counter(i for _, i in found) == Counter(i for _, i in emitted)
    assert by_key(found) == by_key(emitted)  # same events per key, in emit order


def new_producer(bootstrap: str, ns: str, catalogue: Catalogue, store: KafkaSchemaStore, spool: Path) -> HubProducer:
    return HubProducer(bootstrap, ns, catalogue, store, system="dancu-core", config=QUIET, spool_dir=spool,
                       policy=FAST)


def test_outage_mid_run_spools_then_replays_exactly_once(running: LocalKafka, namespace: str, tmp_path: Path) -> None:
    kafka = running.kafka
    catalogue = load_catalogue()
    topic = catalogue.get(DATASET).topics(namespace).raw
    ensure_topics(kafka, [topic])
    store = KafkaSchemaStore(kafka.bootstrap_servers, timeout_s=5)
    producer = new_producer(kafka.bootstrap_servers, namespace, catalogue, store, tmp_path / "spool")
    emitted: list[tuple[str, str]] = []
    try:
        emit(producer, 1, 400, emitted)
        assert producer.flush() == DeliveryReport(acknowledged=400)

        running.stop()
        emit(producer, 2, 300, emitted)
        assert producer.flush() == DeliveryReport(acknowledged=400, spooled=300, backlog=300)

        running.start()
        emit(producer, 3, 300, emitted)  # appended behind the backlog until a replay drains it
        report = producer.flush()
        assert (report.acknowledged, report.failed, report.pending, report.backlog) == (1000, {}, 0, 0)
        assert report.spooled == report.replayed and 300 <= report.spooled <= 600
        found = read_topic(kafka.bootstrap_servers, topic, store, kafka.partitions)
    finally:
        producer.close()
        store.close()
    assert_exactly_once(emitted, found)


def test_producer_restarted_during_outage_replays_the_durable_spool(running: LocalKafka, namespace: str,
                                                                    tmp_path: Path) -> None:
    kafka = running.kafka
    catalogue = load_catalogue()
    topic = catalogue.get(DATASET).topics(namespace).raw
    ensure_topics(kafka, [topic])
    spool = tmp_path / "spool"
    emitted: list[tuple[str, str]] = []

    first_store = KafkaSchemaStore(kafka.bootstrap_servers, timeout_s=5)
    first = new_producer(kafka.bootstrap_servers, namespace, catalogue, first_store, spool)
    emit(first, 4, 200, emitted)
    assert first.flush() == DeliveryReport(acknowledged=200)
    running.stop()
    emit(first, 5, 200, emitted)
    assert first.close() == DeliveryReport(acknowledged=200, spooled=200, backlog=200)
    first_store.close()

    # A new process, started while the broker is still away, resumes the spool the first one left.
    store = KafkaSchemaStore(kafka.bootstrap_servers, timeout_s=3)
    second = new_producer(kafka.bootstrap_servers, namespace, catalogue, store, spool)
    try:
        assert second.report == DeliveryReport(backlog=200)
        emit(second, 6, 200, emitted)
        assert second.flush() == DeliveryReport(spooled=200, backlog=400)
        running.start()
        assert second.replay() == DeliveryReport(acknowledged=400, spooled=200, replayed=400)
        found = read_topic(kafka.bootstrap_servers, topic, store, kafka.partitions)
    finally:
        second.close()
        store.close()
    assert_exactly_once(emitted, found)


def test_unreachable_cluster_spools_and_another_producer_replays(kafka: KafkaSettings, namespace: str,
                                                                 tmp_path: Path) -> None:
    """Against the session broker: a producer whose broker and registry are unreachable spools every
    event (framed later: it never got a schema id); a later producer on the same spool, pointed at the
    real cluster, registers the spooled schema and delivers each event once."""
    catalogue = load_catalogue()
    topic = catalogue.get(DATASET).topics(namespace).raw
    ensure_topics(kafka, [topic])
    spool = tmp_path / "spool"
    emitted: list[tuple[str, str]] = []
    dead = f"127.0.0.1:{free_port()}"
    dead_store = KafkaSchemaStore(dead, timeout_s=2)
    try:
        nowhere = new_producer(dead, namespace, catalogue, dead_store, spool)
        emit(nowhere, 7, 500, emitted)
        assert nowhere.close() == DeliveryReport(spooled=500, backlog=500)
    finally:
        dead_store.close()

    store = KafkaSchemaStore(kafka.bootstrap_servers)
    try:
        producer = new_producer(kafka.bootstrap_servers, namespace, catalogue, store, spool)
        assert producer.flush() == DeliveryReport(acknowledged=500, replayed=500)
        emit(producer, 8, 100, emitted)
        assert producer.close() == DeliveryReport(acknowledged=600, replayed=500)
        found = read_topic(kafka.bootstrap_servers, topic, store, kafka.partitions)
    finally:
        store.close()
    assert_exactly_once(emitted, found)
