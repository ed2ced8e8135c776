"""What the SDK promises about delivery, and how it reads the broker's delivery reports (pure).

:class:`DeliveryPolicy` (timeouts, back-off, batch sizes) and :class:`DeliveryReport` (outcomes) are the
SDK's public values; :data:`SPOOLABLE` sorts the broker's errors into "not now" (spool, replay later) and
"never" (report failed); :func:`event_key` reads an event's id back from its framed bytes, so one delivery
callback serves every event without keeping a closure or the payload per event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from confluent_kafka import KafkaError as KafkaErrorCode

from hub import wire

# Delivery errors that say "not now" rather than "never": the event is spooled and replayed later.
SPOOLABLE = frozenset({
    KafkaErrorCode._MSG_TIMED_OUT, KafkaErrorCode._TIMED_OUT, KafkaErrorCode._TRANSPORT,
    KafkaErrorCode._ALL_BROKERS_DOWN, KafkaErrorCode._PURGE_QUEUE, KafkaErrorCode._PURGE_INFLIGHT,
    KafkaErrorCode.REQUEST_TIMED_OUT, KafkaErrorCode.NETWORK_EXCEPTION, KafkaErrorCode.BROKER_NOT_AVAILABLE,
    KafkaErrorCode.LEADER_NOT_AVAILABLE, KafkaErrorCode.NOT_LEADER_FOR_PARTITION,
    KafkaErrorCode.NOT_ENOUGH_REPLICAS, KafkaErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
})


class SchemaRegistrar(Protocol):
    """What the SDK needs of the registry (:class:`registry.store.KafkaSchemaStore` is one)."""

    def register(self, subject: str, schema: dict[str, Any]) -> int: ...


@dataclass(frozen=True)
class DeliveryPolicy:
    """How long the SDK waits for Kafka before spooling, and how it retries."""

    delivery_timeout_s: float = 10.0
    """``message.timeout.ms``: an event not acknowledged by then is spooled."""
    probe_timeout_s: float = 1.0
    """How long a replay waits for the broker to answer a metadata request."""
    retry_min_s: float = 0.5
    """First wait between replay attempts made by ``emit``; doubles after each failed attempt…"""
    retry_max_s: float = 30.0
    """…up to this."""
    replay_batch: int = 5_000
    """Events re-sent per replay round; ``emit`` replays at most one round per call."""
    spool_batch: int = 500
    """Spool-bound events ``emit`` buffers before writing them (``flush`` always writes)."""


@dataclass
class DeliveryReport:
    """Outcomes since the producer was created. ``acknowledged`` includes ``replayed``; ``spooled`` counts
    events written to the spool, ``backlog`` those in it now (also from earlier runs)."""

    acknowledged: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    """event id → the broker's reason, for events refused for good."""
    pending: int = 0
    spooled: int = 0
    replayed: int = 0
    backlog: int = 0


def event_key(value: bytes) -> bytes:
    """The UTF-8 event id of a framed event: the envelope's first field, an Avro string after the header."""
    start, length, shift = wire.HEADER_SIZE, 0, 0
    while True:
        byte = value[start]
        start += 1
        length |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
    return value[start:start + (length >> 1)]


def reason(err: Any) -> str:
    return f"{err.name()}: {err.str()}"
