"""The streams worker's outputs against the simulator's ground truth: shared by the full-worker tests.

Events are published as a source would send them — Confluent-framed Avro under the raw subject — but
without the SDK, because the SDK's own validation would refuse the dirty ones. A ``required_missing``
record cannot be encoded with the catalogue's schema (a required field has no value), so it is encoded
with a looser version registered under the same raw subject (the required fields made nullable: a
BACKWARD-compatible change the registry accepts, as a source system on a relaxed schema would send). The
processor checks records against the catalogue, whatever the writer's schema, and rejects them.

Delivery order (:func:`simulate`): the population register's events first, then, once the worker has
processed them, the other four datasets. The death-before-birth rule reads the citizens' clean state, and
events of different topics are processed in no fixed order relative to each other (see ``streams/app.py``),
so this is the order in which the expectations are exact. The manifest is built from the same order.
"""

from __future__ import annotations

import copy
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import fastavro
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from hub import wire
from hub.catalogue import Catalogue, Dataset
from hub.settings import KafkaSettings
from hub.topics import message_count
from producers.simulator import Change, Manifest, MinistriesSimulator, build_manifest
from producers.simulator.publish import loose
from registry.store import KafkaSchemaStore
from streams.dead_letters import DeadLetterHeaders
from streams.rules.records import missing_required, original_code_fields

CITIZEN = "population.citizen"
EVENTS = 5000


# --- publishing ---------------------------------------------------------------------------------------
@dataclass
class RawPublisher:
    """Sends simulated changes to the raw topics as framed Avro; remembers the bytes sent per event id."""

    kafka: KafkaSettings
    namespace: str
    catalogue: Catalogue
    sent: dict[str, bytes] = field(default_factory=dict)
    _ids: dict[tuple[str, bool], tuple[int, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._store = KafkaSchemaStore(self.kafka.bootstrap_servers)
        self._producer = Producer({"bootstrap.servers": self.kafka.bootstrap_servers, "enable.idempotence": True,
                                   "linger.ms": 5})

    def _schema(self, dataset: Dataset, relaxed: bool) -> tuple[int, Any]:
        if (dataset.name, relaxed) not in self._ids:
            schema = loose(dataset.envelope_schema) if relaxed else dataset.envelope_schema
            schema_id = self._store.register(f"{dataset.topics(self.namespace).raw}-value", schema)
            self._ids[(dataset.name, relaxed)] = (schema_id, fastavro.parse_schema(copy.deepcopy(schema)))
        return self._ids[(dataset.name, relaxed)]

    def publish(self, changes: Iterable[Change]) -> None:
        now = datetime.now(timezone.utc)
        for c in changes:
            dataset = self.catalogue.get(c.dataset)
            missing = missing_required(dataset.record_schema, c.record) if c.record is not None else []
            schema_id, parsed = self._schema(dataset, relaxed=bool(missing))
            after = None if c.record is None else {**c.record, **dict.fromkeys(missing)}
            envelope = {"event_id": c.event_id, "op": c.op, "key": c.key, "after": after,
                        "source": {"ministry": dataset.owner.code, "system": "simulator", "position": c.source_position},
                        "event_time": c.event_time, "ingest_time": now}
            value = wire.encode(schema_id, parsed, envelope)
            self.sent.setdefault(c.event_id, value)
            while True:
                try:
                    self._producer.produce(dataset.topics(self.namespace).raw, key=c.key.encode(), value=value)
                    break
                except BufferError:
                    self._producer.poll(0.1)
        assert self._producer.flush(60) == 0

    def close(self) -> None:
        self._store.close()


# --- reading back -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Message:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]


def read_topic(bootstrap: str, topic: str) -> list[Message]:
    """Every message of ``topic`` up to its current end, in partition then offset order."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "test-reader", "enable.auto.commit": False,
                         "isolation.level": "read_committed"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        out: list[Message] = []
        last = dict.fromkeys(ends, -1)
        deadline = time.monotonic() + 60
        while any(last[p] < ends[p] - 1 for p in ends):
            assert time.monotonic() < deadline, f"could not read {topic} to its end"
            for msg in consumer.consume(1000, 0.5):
                partition, offset = msg.partition(), msg.offset()
                if msg.error() is None and partition is not None and offset is not None:
                    raw = msg.headers() or []
                    pairs = raw.items() if isinstance(raw, dict) else raw
                    headers = {k: v if isinstance(v, bytes) else str(v or "").encode() for k, v in pairs}
                    out.append(Message(partition, offset, msg.key(), msg.value(), headers))
                    last[partition] = max(last[partition], offset)
        return sorted(out, key=lambda m: (m.partition, m.offset))
    finally:
        consumer.close()


def wait_for(done: Callable[[], bool], alive: Callable[[], bool], timeout_s: float = 180.0,
             what: str = "the streams worker did not finish") -> None:
    """Poll ``done`` every half second; fails with ``what`` after ``timeout_s``, at once if ``alive()`` is false."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert alive(), "the streams worker died; see streams.log in the test's data dir"
        assert time.monotonic() < deadline, f"{what} within {timeout_s}s; see streams.log in the test's data dir"
        time.sleep(0.5)


def processed(kafka: KafkaSettings, catalogue: Catalogue, namespace: str, datasets: Iterable[str]) -> int:
    """Messages in the clean and dead-letter topics of ``datasets``."""
    return sum(message_count(kafka.bootstrap_servers, t)
               for name in datasets for t in (catalogue.get(name).topics(namespace).clean,
                                              catalogue.get(name).topics(namespace).dlq))


def raw_lag(kafka: KafkaSettings, catalogue: Catalogue, namespace: str, datasets: Iterable[str]) -> int:
    """Raw messages of ``datasets`` the streams group has not committed yet (from the log start if it has
    committed nothing). At least once, the output counts of :func:`processed` include copies after a crash,
    so they can reach a target before every event was processed; zero raw lag cannot."""
    topics = [catalogue.get(name).topics(namespace).raw for name in datasets]
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"{namespace}-streams",
                         "enable.auto.commit": False, "log_level": 3})
    try:
        metadata = consumer.list_topics(timeout=10).topics
        partitions = [TopicPartition(t, p) for t in topics for p in metadata[t].partitions]
        lag = 0
        for tp in consumer.committed(partitions, timeout=10):
            low, high = consumer.get_watermark_offsets(tp, timeout=10)
            lag += high - (tp.offset if tp.offset >= 0 else low)
        return lag
    finally:
        consumer.close()


def expected_outputs(manifest: Manifest, datasets: Iterable[str]) -> int:
    return sum(manifest.datasets[d].counts["distinct_events"] for d in datasets)


# --- expectations -------------------------------------------------------------------------------------
def late_ids(changes: list[Change], manifest: Manifest) -> set[str]:
    """Accepted events whose key already had an accepted event with a newer-or-equal version."""
    current: dict[tuple[str, str], tuple[datetime, int]] = {}
    seen: set[str] = set()
    late: set[str] = set()
    for c in changes:
        if c.event_id in seen or c.event_id in manifest.datasets[c.dataset].rejected:
            continue
        seen.add(c.event_id)
        version = (c.event_time, c.source_position)
        if (c.dataset, c.key) in current and version <= current[(c.dataset, c.key)]:
            late.add(c.event_id)
        else:
            current[(c.dataset, c.key)] = version
    return late


def split_originals(dataset: str, after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, str | None]]]:
    """The clean record without the hub's ``original_*`` fields, and those fields as the manifest lists them."""
    record = dict(after)
    originals: dict[str, dict[str, str | None]] = {}
    for path, name, field_name in original_code_fields(dataset):
        value = record.pop(field_name)
        if value is not None:
            originals.setdefault(path or ".", {})[name] = value
    for path, by_field in originals.items():  # a mapped pair lists both codes, the ward possibly null
        for p, name, _ in original_code_fields(dataset):
            if (p or ".") == path:
                by_field.setdefault(name, None)
    return record, originals


@dataclass
class CleanView:
    """What the clean topics hold, per dataset."""

    events: dict[str, list[tuple[str, dict[str, Any], bool]]] = field(default_factory=dict)
    """Dataset → [(event id, decoded envelope, late)] in topic order."""
    values: dict[str, set[bytes]] = field(default_factory=lambda: defaultdict(set))
    """Event id → the message values carrying it."""

    def ids(self, dataset: str) -> list[str]:
        return [e for e, _, _ in self.events.get(dataset, [])]

    def current_state(self, dataset: str) -> dict[str, dict[str, Any]]:
        """Key → clean record of the last non-late event of each key (deleted keys absent)."""
        state: dict[str, dict[str, Any] | None] = {}
        for _, envelope, late in self.events.get(dataset, []):
            if not late:
                after = envelope["after"]
                state[envelope["key"]] = None if after is None else split_originals(dataset, after)[0]
        return {k: v for k, v in state.items() if v is not None}


def read_clean(kafka: KafkaSettings, catalogue: Catalogue, namespace: str) -> CleanView:
    cache = wire.SchemaCache(KafkaSchemaStore(kafka.bootstrap_servers).schema)
    view = CleanView()
    for dataset in catalogue:
        rows = []
        for m in read_topic(kafka.bootstrap_servers, dataset.topics(namespace).clean):
            _, envelope = cache.decode(m.value)
            rows.append((envelope["event_id"], envelope, m.headers.get("late") == b"1"))
            view.values[envelope["event_id"]].add(m.value or b"")
        view.events[dataset.name] = rows
    return view


def read_dead_letters(kafka: KafkaSettings, catalogue: Catalogue, namespace: str) -> dict[str, list[tuple[Message, DeadLetterHeaders]]]:
    return {d.name: [(m, DeadLetterHeaders.parse(m.headers.items()))
                     for m in read_topic(kafka.bootstrap_servers, d.topics(namespace).dlq)] for d in catalogue}


def simulate(seed: int) -> tuple[list[Change], list[Change], Manifest]:
    """The citizens' changes, the others' (each in simulator order), and the manifest of that delivery order."""
    changes = list(MinistriesSimulator(seed, dirt=0.2).changes(EVENTS))
    citizens = [c for c in changes if c.dataset == CITIZEN]
    others = [c for c in changes if c.dataset != CITIZEN]
    return citizens, others, build_manifest(citizens + others)


def group_members(admin: AdminClient, group: str) -> int:
    """Members of the consumer group ``group`` that hold at least one partition."""
    description = admin.describe_consumer_groups([group])[group].result(timeout=10)
    return sum(1 for m in description.members if m.assignment.topic_partitions)


def group_lag(kafka: KafkaSettings, group: str, prefix: str) -> dict[str, int]:
    """Messages not yet committed by consumer group ``group``, per topic whose name starts with ``prefix`` and
    where the group committed something (non-zero entries only): tells a slow run from a stuck one."""
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": group,
                         "enable.auto.commit": False})
    try:
        topics = consumer.list_topics(timeout=10).topics
        partitions = [TopicPartition(t, p) for t, meta in sorted(topics.items()) if t.startswith(prefix)
                      for p in meta.partitions]
        committed = consumer.committed(partitions, timeout=10)
        consumed = {tp.topic for tp in committed if tp.offset >= 0}
        lag: dict[str, int] = defaultdict(int)
        for tp in committed:
            if tp.topic in consumed:
                low, high = consumer.get_watermark_offsets(tp, timeout=10)
                lag[tp.topic] += high - (tp.offset if tp.offset >= 0 else low)
        return {t: n for t, n in lag.items() if n}
    finally:
        consumer.close()
