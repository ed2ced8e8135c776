"""The launcher's broker is a real Kafka: metadata, topic creation, produce and read back offsets."""

from __future__ import annotations

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from hub.settings import KafkaSettings
from hub.topics import ensure_topics, message_count


def test_broker_answers_metadata_and_keeps_offsets(kafka: KafkaSettings, namespace: str) -> None:
    topic = f"{namespace}.probe"
    ensure_topics(kafka, [topic])
    ensure_topics(kafka, [topic])  # idempotent
    metadata = AdminClient({"bootstrap.servers": kafka.bootstrap_servers}).list_topics(timeout=10)
    assert len(metadata.brokers) == 1
    assert sorted(metadata.topics[topic].partitions) == list(range(kafka.partitions))

    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers, "enable.idempotence": True})
    for i in range(100):
        producer.produce(topic, key=str(i).encode(), value=b"v", partition=i % kafka.partitions)
    assert producer.flush(30) == 0
    assert message_count(kafka.bootstrap_servers, topic) == 100

    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"{namespace}-g",
                         "enable.auto.commit": False})
    try:
        offsets = [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                   for p in range(kafka.partitions)]
    finally:
        consumer.close()
    assert offsets == [(0, 25)] * kafka.partitions
