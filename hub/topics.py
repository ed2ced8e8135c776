"""Creating the hub's topics on a Kafka cluster (idempotent)."""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from hub.catalogue import Catalogue
from hub.errors import KafkaError
from hub.settings import KafkaSettings


def hub_topics(catalogue: Catalogue, namespace: str) -> list[str]:
    """Every topic the hub's pipeline reads or writes, for all datasets of the catalogue."""
    names: list[str] = []
    for dataset in catalogue:
        t = dataset.topics(namespace)
        names += [t.raw, t.clean, t.dlq]
    return names


def ensure_topics(kafka: KafkaSettings, names: Iterable[str], timeout_s: float = 30.0) -> None:
    """Create the missing topics with the configured partition count; existing ones are left alone."""
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap_servers, "log_level": 3})
    new = [NewTopic(n, num_partitions=kafka.partitions, replication_factor=kafka.replication_factor)
           for n in names]
    if not new:
        return
    for name, fut in admin.create_topics(new, operation_timeout=timeout_s, request_timeout=timeout_s).items():
        try:
            fut.result()
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise KafkaError(f"cannot create topic {name}: {exc.args[0].str()}") from exc


def message_count(bootstrap: str, topic: str, timeout_s: float = 10.0) -> int:
    """Messages in ``topic`` (sum over partitions of high minus low watermark), read from the broker."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "hub-watermarks", "enable.auto.commit": False,
                         "log_level": 3})
    try:
        metadata = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return 0
        total = 0
        for partition in metadata.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout_s)
            total += high - low
        return total
    finally:
        consumer.close()
