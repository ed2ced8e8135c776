"""An agent's batches keep each partition in offset order (streams.agent.in_order), with fakes of faust's
consumer and events."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from faust.types import TP

from streams.agent import in_order
from streams.partition_order import ProcessedInOrder

RAW, OTHER = TP("hub.land.parcel.raw", 2), TP("hub.land.parcel.raw", 3)


@dataclass
class FakeConsumer:
    _committed_offset: dict[TP, int | None]
    _read_offset: dict[TP, int | None] = field(default_factory=dict)
    assigned: set[TP] = field(default_factory=lambda: {RAW, OTHER})
    seeks: list[tuple[TP, int]] = field(default_factory=list)

    def assignment(self) -> set[TP]:
        return self.assigned

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))


@dataclass
class FakeApp:
    consumer: FakeConsumer
    consumer_generation_id: int = 7


@dataclass(eq=False)
class FakeMessage:
    tp: TP
    offset: int
    generation_id: int

    @property
    def topic(self) -> str:
        return self.tp.topic

    @property
    def partition(self) -> int:
        return self.tp.partition


@dataclass(eq=False)
class FakeEvent:
    app: FakeApp
    message: FakeMessage


def _events(app: FakeApp, *where: tuple[TP, int], generation: int | None = None) -> list[Any]:
    gen = app.consumer_generation_id if generation is None else generation
    return [FakeEvent(app, FakeMessage(tp, offset, gen)) for tp, offset in where]


def _offsets(events: list[Any]) -> list[tuple[int, int]]:
    return [(e.message.partition, e.message.offset) for e in events]


def test_a_batch_in_order_is_processed_whole_and_nothing_is_sought() -> None:
    app = FakeApp(FakeConsumer({RAW: 46, OTHER: 10}))
    batch = _events(app, (RAW, 46), (OTHER, 10), (RAW, 47), (OTHER, 11))
    kept = asyncio.run(in_order(ProcessedInOrder(), batch))
    assert _offsets(kept) == [(2, 46), (3, 10), (2, 47), (3, 11)]
    assert app.consumer.seeks == []


def test_a_partition_past_its_committed_offset_is_held_back_and_sought_back_once(
        caplog: pytest.LogCaptureFixture) -> None:
    app = FakeApp(FakeConsumer({RAW: 46, OTHER: 10}))
    order = ProcessedInOrder()
    with caplog.at_level(logging.WARNING, logger="hub.streams"):
        kept = asyncio.run(in_order(order, _events(app, (RAW, 47), (OTHER, 10), (RAW, 46), (RAW, 48))))
    assert _offsets(kept) == [(3, 10)]  # 46 after 47 in one batch: already read past, not processed either
    assert app.consumer.seeks == [(RAW, 46)]
    assert "hub.land.parcel.raw[2]: offset 47 reached an agent before 46" in caplog.text
    kept = asyncio.run(in_order(order, _events(app, (RAW, 49), (OTHER, 11))))  # fetched before the seek
    assert _offsets(kept) == [(3, 11)]
    assert app.consumer.seeks == [(RAW, 46)]
    kept = asyncio.run(in_order(order, _events(app, (RAW, 46), (RAW, 47), (RAW, 48))))  # read again
    assert _offsets(kept) == [(2, 46), (2, 47), (2, 48)]


def test_a_partition_no_longer_assigned_is_not_sought() -> None:
    app = FakeApp(FakeConsumer({RAW: 46}, assigned={OTHER}))
    kept = asyncio.run(in_order(ProcessedInOrder(), _events(app, (RAW, 50))))
    assert kept == []
    assert app.consumer.seeks == []


def test_leftovers_of_an_earlier_generation_pass_through_unchecked() -> None:
    app = FakeApp(FakeConsumer({RAW: 46}))
    kept = asyncio.run(in_order(ProcessedInOrder(), _events(app, (RAW, 60), generation=6)))
    assert _offsets(kept) == [(2, 60)]
    assert app.consumer.seeks == []
