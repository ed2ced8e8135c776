"""A sink batch is bounded by message count, by bytes of message values and by time (sinks.consumer.take)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sinks import consumer as sink_consumer
from sinks.consumer import take


@dataclass
class Msg:
    payload: bytes | None

    def value(self) -> bytes | None:
        return self.payload


class Queue:
    """The consumer's ``consume``: hands out what it holds, up to the count asked; records each ask."""

    def __init__(self, sizes: list[int]) -> None:
        self.held = [Msg(b"x" * n if n else None) for n in sizes]
        self.asks: list[int] = []

    def consume(self, count: int, timeout: float) -> list[Msg]:
        self.asks.append(count)
        got, self.held = self.held[:count], self.held[count:]
        return got


def test_a_batch_of_small_messages_ends_at_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sink_consumer, "TAKE_CHUNK", 4)
    queue = Queue([10] * 20)
    assert len(take(queue.consume, 10, 1 << 20, 0.2)) == 10
    assert queue.asks == [4, 4, 2]
    assert len(queue.held) == 10


def test_a_batch_of_large_messages_ends_once_their_bytes_reach_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sink_consumer, "TAKE_CHUNK", 2)
    queue = Queue([400] * 10)
    batch = take(queue.consume, 100, 1000, 0.2)
    assert [len(m.payload or b"") for m in batch] == [400] * 4  # 800 after two asks, 1600 after the next
    assert len(queue.held) == 6


def test_a_batch_ends_when_the_consumer_has_no_more_within_the_timeout() -> None:
    queue = Queue([10, 0, 10])  # a tombstone (no value) counts as a message of no bytes
    assert len(take(queue.consume, 100, 1 << 20, 0.2)) == 3
    assert queue.asks == [100]
