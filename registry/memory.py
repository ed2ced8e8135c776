"""A log kept in memory, with the topic's encoding, writer fencing and compaction: the fake behind unit tests.

Several :class:`MemoryLog` objects over one :class:`MemoryTopic` behave like registry instances sharing a
topic: each applies only what it has synced, and a writer that acquired the topic before another did is
fenced on its next append, as with Kafka's transactional ids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from registry.errors import WriterFenced
from registry.records import Record, decode


@dataclass
class MemoryTopic:
    messages: list[tuple[bytes, bytes | None]] = field(default_factory=list)
    epoch: int = 0

    def compact(self) -> None:
        """What Kafka's log cleaner eventually does: keep the last message per key, drop tombstones."""
        last = {key: i for i, (key, _) in enumerate(self.messages)}
        self.messages = [(k, v) for i, (k, v) in enumerate(self.messages) if last[k] == i and v is not None]


class MemoryLog:
    def __init__(self, topic: MemoryTopic | None = None) -> None:
        self.topic = topic if topic is not None else MemoryTopic()
        self._apply: Callable[[Record], None] | None = None
        self._position = 0
        self._epoch: int | None = None

    def start(self, apply: Callable[[Record], None]) -> None:
        self._apply = apply
        self._position = 0

    def sync(self) -> None:
        assert self._apply is not None, "start() first"
        while self._position < len(self.topic.messages):
            record = decode(*self.topic.messages[self._position])
            self._position += 1
            if record is not None:
                self._apply(record)

    def acquire(self) -> None:
        if self._epoch is None:
            self.topic.epoch += 1
            self._epoch = self.topic.epoch

    def append(self, records: Sequence[Record]) -> None:
        if self._epoch != self.topic.epoch:
            self._epoch = None
            raise WriterFenced("another writer acquired the log")
        self.topic.messages.extend(rec.encode() for rec in records)
        self.sync()

    def close(self) -> None:
        self._apply = None
