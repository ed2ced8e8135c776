"""Every agent's output through one confluent-kafka producer per worker process, acknowledged per batch.

An agent opens a :class:`OutputBatch` per input batch, sends everything the batch produces through it, then
awaits :meth:`OutputBatch.acknowledged`: it returns once the broker has acknowledged *every* message of the
batch (idempotent producer, ``acks=all``) and raises :class:`DeliveryFailed` as soon as one is refused for
good. Agents write their table state only after it returns, and faust commits the batch's offsets only
after the agent returns (see :mod:`streams.agent`), so state and offsets never run ahead of output.

Partitioning: the explicit partition when the agent gives one (clean and dead-letter messages keep their raw
message's partition number); otherwise murmur2 of the key (librdkafka's ``murmur2_random``, the partitioner
of Java clients and of aiokafka, which faust's own producer uses). librdkafka's default,
``consistent_random`` (CRC32), would file a key elsewhere than every earlier writer of the golden and
quality topics did, and their tables are partitioned like those topics.

Delivery reports are served by polling the producer from the event loop (``poll(0)`` never blocks), so
the callbacks run on the loop's thread and :class:`Acks` needs no lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import faust
from confluent_kafka import Producer

from hub.errors import KafkaError

log = logging.getLogger("hub.streams")

POLL_INTERVAL_S = 0.002
"""How often a waiting batch serves delivery reports (librdkafka lingers 5 ms before it sends)."""
BUFFER_FULL_WAIT_S = 0.05
UNASSIGNED = -1
"""librdkafka's "no partition given": the partitioner picks one from the key."""

Headers = Sequence[tuple[str, bytes]] | None


class DeliveryFailed(KafkaError):
    """The broker refused a message for good (or the producer gave up on it): the batch must not count."""

    def __init__(self, topic: str, partition: int, code: str) -> None:
        super().__init__(f"delivery to {topic}[{partition}] failed: {code}")
        self.topic, self.partition, self.code = topic, partition, code


@dataclass
class Acks:
    """The acknowledgements a batch still waits for (pure bookkeeping; fed by delivery reports)."""

    sent: int = 0
    acknowledged: int = 0
    failure: DeliveryFailed | None = None
    last_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    """The highest acknowledged offset per (topic, partition), when the batch tracks them."""

    def expect(self) -> None:
        self.sent += 1

    def on_delivery(self, err: Any, msg: Any) -> None:
        """confluent-kafka's delivery callback: ``err`` is None when the message is acknowledged."""
        if err is None:
            self.acknowledged += 1
        elif self.failure is None:  # the error's name only: a message could quote a value
            self.failure = DeliveryFailed(msg.topic(), msg.partition(), err.name())

    def on_delivery_tracked(self, err: Any, msg: Any) -> None:
        """:meth:`on_delivery`, also keeping :attr:`last_offsets`."""
        self.on_delivery(err, msg)
        if err is None:
            where = (msg.topic(), msg.partition())
            self.last_offsets[where] = max(msg.offset(), self.last_offsets.get(where, -1))

    @property
    def done(self) -> bool:
        return self.failure is not None or self.acknowledged >= self.sent

    def raise_if_failed(self) -> None:
        if self.failure is not None:
            raise self.failure


class ProducerClient(Protocol):
    """The part of :class:`confluent_kafka.Producer` this module uses (a fake in the unit tests)."""

    def produce(self, topic: str, value: bytes | None = ..., key: bytes | None = ..., partition: int = ...,
                headers: Any = ..., on_delivery: Any = ...) -> None: ...

    def poll(self, timeout: float = ...) -> int: ...


class OutputBatch:
    """The sends of one input batch. Not thread-safe: use it from the event loop."""

    def __init__(self, client: ProducerClient, track_offsets: bool = False) -> None:
        self._client = client
        self.acks = Acks()
        self._on_delivery = self.acks.on_delivery_tracked if track_offsets else self.acks.on_delivery

    def send(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None,
             headers: Headers = None) -> None:
        """Hand one message to the producer (raises its errors for messages it cannot even queue)."""
        where = UNASSIGNED if partition is None else partition
        while True:
            try:
                self._client.produce(topic, value, key, partition=where, on_delivery=self._on_delivery,
                                     headers=headers)
                break
            except BufferError:  # the local queue is full: let librdkafka drain it (backpressure)
                self._client.poll(BUFFER_FULL_WAIT_S)
        self.acks.sent += 1

    async def acknowledged(self) -> None:
        """Return once every message sent is acknowledged; raise :class:`DeliveryFailed` on the first refusal."""
        self._client.poll(0)
        while not self.acks.done:
            await asyncio.sleep(POLL_INTERVAL_S)
            self._client.poll(0)
        self.acks.raise_if_failed()


def producer_config(bootstrap: str, client_id: str) -> dict[str, Any]:
    return {
        "bootstrap.servers": bootstrap,
        "client.id": client_id,
        "enable.idempotence": True,  # no duplicates or reordering of the producer's own making on retries
        "acks": "all",
        "linger.ms": 5,
        "batch.num.messages": 10_000,
        "batch.size": 4_000_000,
        "queue.buffering.max.messages": 500_000,
        "partitioner": "murmur2_random",  # see the module docstring
        "log_level": 4,
        "error_cb": _log_error,
    }


def _log_error(err: Any) -> None:
    log.warning("output producer: %s", err.name())


class OutputProducer:
    """The worker's one producer for agent output; the client is created on first use (in the worker)."""

    def __init__(self, config: dict[str, Any],
                 client_factory: Callable[[dict[str, Any]], ProducerClient] = Producer,  # type: ignore[assignment]
                 ) -> None:
        self._config = config
        self._factory = client_factory
        self._client: ProducerClient | None = None

    @classmethod
    def for_app(cls, app: faust.App) -> OutputProducer:
        """The producer of ``app``'s worker (one per app, created with the app's broker list)."""
        existing = app.__dict__.get("_hub_output")
        if existing is None:
            bootstrap = ",".join(f"{url.host}:{url.port or 9092}" for url in app.conf.broker)
            existing = cls(producer_config(bootstrap, f"{app.conf.id}-output"))
            app.__dict__["_hub_output"] = existing
        return existing  # type: ignore[no-any-return]

    def batch(self, track_offsets: bool = False) -> OutputBatch:
        """A new batch of sends; ``track_offsets`` keeps the last acknowledged offset of each partition."""
        if self._client is None:
            self._client = self._factory(self._config)
        return OutputBatch(self._client, track_offsets)
