"""Creating the streams' changelog topics before the worker starts (idempotent).

faust creates a table's changelog topic itself, but the first write that follows can find it in the
consumer's metadata with no partitions yet, and faust then refuses the write (``PartitionsMismatch``). Created
up front, with the partition count of the raw topics, the changelogs are there before the first event.
"""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from hub.errors import KafkaError
from hub.settings import KafkaSettings


def ensure_compacted_topics(kafka: KafkaSettings, names: Iterable[str], timeout_s: float = 30.0) -> None:
    """Create the missing topics, compacted, with the configured partitions; existing ones are left alone."""
    new = [NewTopic(n, num_partitions=kafka.partitions, replication_factor=kafka.replication_factor,
                    config={"cleanup.policy": "compact"}) for n in names]
    if not new:
        return
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap_servers, "log_level": 3})
    for name, fut in admin.create_topics(new, operation_timeout=timeout_s, request_timeout=timeout_s).items():
        try:
            fut.result()
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise KafkaError(f"cannot create topic {name}: {exc.args[0].str()}") from exc
