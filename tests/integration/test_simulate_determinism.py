"""`hub simulate --seed 7` run twice, as a user runs it, gives byte-identical event streams and manifests.

The later stages are tested against the simulator's manifest, so the stream it describes must be exactly
reproducible: per raw topic and partition, the same sequence of (key, value bytes, headers). The two runs go
to two namespaces sharing one schema registry (the same schema has the same id under both subjects) and run
in separate processes, so per-process hash seeds, wall-clock times and registration order all get a chance
to differ. Kafka's message timestamp is not compared: the simulator leaves it to the producer (the time of
sending), see :mod:`producers.simulator.publish`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from hub.catalogue import load_catalogue
from hub.settings import KafkaSettings

COUNT = int(os.environ.get("HUB_DETERMINISM_EVENTS", "8000"))  # the 100000: HUB_DETERMINISM_EVENTS=100000
PARTITIONS = 3

Message = tuple[bytes | None, bytes | None, tuple[tuple[str, str | bytes | None], ...]]


def simulate(kafka: KafkaSettings, data_dir: Path, namespace: str, registry_topic: str,
             manifest: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HUB_KAFKA_BOOTSTRAP=kafka.bootstrap_servers, HUB_DATA_DIR=str(data_dir),
               HUB_NAMESPACE=namespace, HUB_REGISTRY_TOPIC=registry_topic, HUB_KAFKA_PARTITIONS=str(PARTITIONS))
    return subprocess.run([sys.executable, "-m", "hub.cli", "simulate", "--seed", "7", "--count", str(COUNT),
                           "--manifest", str(manifest)], env=env, capture_output=True, text=True, timeout=300)


def read_partitions(bootstrap: str, topic: str) -> dict[int, list[Message]]:
    """Every message of every partition of ``topic``, in offset order, up to the high watermark."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"determinism-{topic}",
                         "enable.auto.commit": False, "log_level": 3})
    try:
        partitions = sorted(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
        out: dict[int, list[Message]] = {}
        for p in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)])
            messages: list[Message] = []
            while len(messages) < high - low:
                for msg in consumer.consume(10_000, 1.0):
                    assert msg.error() is None, msg.error()
                    headers = msg.headers() or []
                    assert isinstance(headers, list)
                    messages.append((msg.key(), msg.value(), tuple(headers)))
            out[p] = messages
        return out
    finally:
        consumer.close()


def test_same_seed_gives_byte_identical_streams_and_manifests(kafka: KafkaSettings, tmp_path: Path,
                                                              namespace: str) -> None:
    registry_topic = f"_schemas_{namespace}"
    runs = {}
    for name in ("a", "b"):
        ns = f"{namespace}{name}"
        manifest = tmp_path / f"manifest-{name}.json"
        done = simulate(kafka, tmp_path / name, ns, registry_topic, manifest)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"acknowledged: {COUNT}" in done.stdout
        streams = {d.name: read_partitions(kafka.bootstrap_servers, d.topics(ns).raw) for d in load_catalogue()}
        runs[name] = (streams, manifest.read_bytes())

    (streams_a, manifest_a), (streams_b, manifest_b) = runs["a"], runs["b"]
    # Nothing compared is empty: every dataset has events, and they add up to the count asked for.
    per_dataset = {d: sum(len(m) for m in parts.values()) for d, parts in streams_a.items()}
    assert sum(per_dataset.values()) == COUNT
    assert [d for d, n in per_dataset.items() if n == 0] == []
    assert {d: len(parts) for d, parts in streams_a.items()} == dict.fromkeys(streams_a, PARTITIONS)
    # The streams: per dataset, per partition, the same (key, value bytes, headers) in the same order.
    assert digest(streams_a) == digest(streams_b)
    assert streams_a == streams_b
    assert manifest_a == manifest_b


def digest(streams: dict[str, dict[int, list[Message]]]) -> dict[str, str]:
    """A SHA-256 per dataset over its partitions' messages (short to print when the streams differ)."""
    out = {}
    for dataset, parts in sorted(streams.items()):
        h = hashlib.sha256()
        for p in sorted(parts):
            for key, value, headers in parts[p]:
                h.update(repr((p, key, value, headers)).encode())
        out[dataset] = h.hexdigest()
    return out
