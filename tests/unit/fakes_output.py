"""The fake of confluent-kafka's producer as :mod:`streams.output` uses it (``produce``/``poll``). The one fake
of it: each ``poll`` delivers the messages queued since the last one, acknowledged — or refused with
``_MSG_TIMED_OUT`` while ``fail`` is set, or not yet delivered at all while ``hold`` is set."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeClient:
    """Records each message as (topic, key, value, partition or None, headers)."""

    sent: list[tuple[str, bytes | None, bytes | None, int | None, Any]] = field(default_factory=list)
    queued: list[tuple[Any, str, int]] = field(default_factory=list)
    fail: bool = False
    hold: bool = False
    buffer_full: int = 0
    """How many next ``produce`` calls raise BufferError (the local queue is full)."""
    polls: list[float] = field(default_factory=list)
    ends: dict[tuple[str, int], int] = field(default_factory=dict)
    """The next offset of each (topic, partition) the fake acknowledged messages in."""

    def produce(self, topic: str, value: bytes | None = None, key: bytes | None = None, partition: int = -1,
                headers: Any = None, on_delivery: Any = None) -> None:
        if self.buffer_full:
            self.buffer_full -= 1
            raise BufferError("Local: Queue full")
        self.sent.append((topic, key, value, None if partition == -1 else partition, headers))
        self.queued.append((on_delivery, topic, partition))

    def poll(self, timeout: float = 0) -> int:
        self.polls.append(timeout)
        if self.hold:
            return 0
        done, self.queued = self.queued, []
        for callback, topic, partition in done:
            if self.fail:
                callback(FakeError("_MSG_TIMED_OUT"), FakeDelivered(topic, partition))
                continue
            offset = self.ends.get((topic, partition), 0)
            self.ends[(topic, partition)] = offset + 1
            callback(None, FakeDelivered(topic, partition, offset))
        return len(done)

    def to(self, topic: str) -> list[tuple[bytes | None, bytes | None, int | None, Any]]:
        return [(key, value, partition, headers) for t, key, value, partition, headers in self.sent if t == topic]


@dataclass
class FakeError:
    code: str

    def name(self) -> str:
        return self.code


@dataclass
class FakeDelivered:
    _topic: str
    _partition: int
    _offset: int = -1

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset
