"""The faust application: one cleaning agent per dataset, raw topic → clean topic, rejects → DLQ topic."""

from __future__ import annotations

import logging
import time
from typing import Any

import faust

from hub.catalogue import Catalogue, Dataset
from hub.settings import HubSettings, KafkaSettings, RegistrySettings
from hub.wire import SchemaCache
from registry.store import KafkaSchemaStore
from streams.processor import Cleaned, Processor

log = logging.getLogger("hub.streams")


def create_app(hub: HubSettings, kafka: KafkaSettings, registry: RegistrySettings, catalogue: Catalogue) -> faust.App:
    app = faust.App(
        f"{hub.namespace}-streams",
        broker=f"kafka://{kafka.bootstrap_servers}",
        store="memory://",
        datadir=str(hub.data_dir.resolve() / "streams"),
        web_enabled=False,
        topic_partitions=kafka.partitions,
        topic_replication_factor=kafka.replication_factor,
        producer_acks=-1,
        producer_linger_ms=5,
        broker_max_poll_records=5000,
        stream_buffer_maxsize=20_000,
    )
    processor = Processor(SchemaCache(KafkaSchemaStore(kafka.bootstrap_servers, registry.topic).schema))
    for dataset in catalogue:
        _add_cleaning_agent(app, hub.namespace, dataset, processor)
    return app


def _add_cleaning_agent(app: faust.App, namespace: str, dataset: Dataset, processor: Processor) -> None:
    topics = dataset.topics(namespace)
    raw = app.topic(topics.raw, key_serializer="raw", value_serializer="raw")
    clean = app.topic(topics.clean, key_serializer="raw", value_serializer="raw")
    dlq = app.topic(topics.dlq, key_serializer="raw", value_serializer="raw")

    async def clean_events(stream: Any) -> None:
        async for events in stream.take_events(5000, within=0.05):
            for event in events:
                outcome = processor.process(event.value)
                if isinstance(outcome, Cleaned):
                    await clean.send(key=event.key, value=outcome.value)
                    continue
                msg = event.message
                # Offsets and reason codes only: the payload may carry personal data.
                log.warning("rejected %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset, outcome.code)
                headers = {"reason": outcome.code.encode(), "source_topic": msg.topic.encode(),
                           "source_partition": str(msg.partition).encode(),
                           "source_offset": str(msg.offset).encode(),
                           "rejected_at_ms": str(int(time.time() * 1000)).encode()}
                await dlq.send(key=event.key, value=event.value or b"", headers=headers)

    app.agent(raw, name=f"clean_{dataset.table_stem}")(clean_events)
