"""Seeks that take effect (streams.faust_seeks): run in the consumer thread, drop records fetched before a seek,
and keep the read offset a seek set; a partition that jumps past its next offset is read again from there."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.types import TP

from aiokafka.structs import TopicPartition

from streams.faust_seeks import (Fetched, _seek_in_thread, _wrap_getmany, _wrap_on_partitions_revoked,
                                 _wrap_perform_seek, _wrap_seek, _wrap_seek_to_committed, _wrap_wait_next_records,
                                 in_batch, is_stale, ready, seek_counts)

NEWS = TP("hub.quality.news", 0)
OTHER = TP("hub.quality.news", 1)
CHANGELOG = TP("hub-streams-keys-changelog", 0)


def test_a_record_fetched_under_the_current_seek_count_is_fresh() -> None:
    assert not is_stale(NEWS, {NEWS: 2}, {NEWS: 2, OTHER: 5})
    assert not is_stale(OTHER, {}, {})


def test_a_record_fetched_before_a_seek_of_its_partition_is_stale() -> None:
    assert is_stale(NEWS, {NEWS: 1}, {NEWS: 2})
    assert is_stale(NEWS, {}, {NEWS: 1})


def test_nothing_is_stale_when_the_counts_are_unknown() -> None:
    assert not is_stale(NEWS, None, {NEWS: 3})
    assert not is_stale(NEWS, {NEWS: 1}, None)


class _Thread:
    """A consumer thread that records what runs in it."""

    def __init__(self) -> None:
        self.in_thread: list[tuple[TP, int]] = []
        self.elsewhere: list[tuple[TP, int]] = []
        self._running = False

    async def call_thread(self, fun: Any, *args: Any) -> Any:
        self._running = True
        try:
            return fun(*args)
        finally:
            self._running = False

    def seek(self, partition: TP, offset: int) -> None:
        (self.in_thread if self._running else self.elsewhere).append((partition, offset))


def test_a_seek_runs_in_the_consumer_thread() -> None:
    consumer = SimpleNamespace(_thread=_Thread())
    asyncio.run(_seek_in_thread(consumer, TP("t", 2), 17))  # type: ignore[arg-type]
    assert consumer._thread.in_thread == [(TP("t", 2), 17)]
    assert consumer._thread.elsewhere == []


class _Consumer:
    """faust's consumer as the wrappers see it: one fetch of ``fetched`` (partition, offset) records, made
    under the fetcher's seek counts of that moment; ``seek_at`` = (index, partition, offset) seeks just
    before that record is delivered (in the consumer thread, as aiokafka counts it) or, with ``during``,
    while the record is being handed over (faust then writes its offset as the read offset)."""

    def __init__(self, fetched: list[tuple[TP, int]], seek_at: tuple[int, TP, int] | None = None,
                 during: bool = False) -> None:
        self.fetched, self.seek_at, self.during = fetched, seek_at, during
        self.fetcher = SimpleNamespace()
        self._thread = SimpleNamespace(_consumer=SimpleNamespace(_fetcher=self.fetcher))
        self._read_offset: dict[TP, int | None] = {}
        self.sought: list[tuple[TP, int]] = []
        self.app = SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda topic: topic != CHANGELOG.topic))
        ready(self).update({NEWS, OTHER})  # sought since their assignment, as faust's perform_seek does

    def assignment(self) -> set[TP]:
        return {NEWS, OTHER, CHANGELOG}

    async def _getmany(self, timeout: float) -> Any:
        self.__dict__["_hub_fetched"] = dict(seek_counts(self.fetcher))
        for index, (tp, offset) in enumerate(self.fetched):
            if self.seek_at and index == self.seek_at[0] and not self.during:
                await self.seek(self.seek_at[1], self.seek_at[2])
            yield tp, SimpleNamespace(offset=offset)

    async def _seek(self, partition: TP, offset: int) -> None:
        counts = seek_counts(self.fetcher)
        counts[partition] = counts.get(partition, 0) + 1
        self._read_offset[partition] = offset
        self.sought.append((partition, offset))

    seek = _wrap_seek(_seek)
    getmany = _wrap_getmany(_getmany)

    def delivered(self) -> list[tuple[TP, int]]:
        """Drain one fetch as faust's fetcher loop does: drop a record below the read offset as read already;
        hand each other record over, then set the read offset."""
        async def drain() -> list[tuple[TP, int]]:
            found = []
            async for tp, message in self.getmany(1.0):
                read = self._read_offset.get(tp)
                if read is not None and message.offset < read:
                    continue
                found.append((tp, message.offset))
                if self.seek_at and self.during and len(found) == self.seek_at[0] + 1:
                    await self.seek(self.seek_at[1], self.seek_at[2])
                self._read_offset[tp] = message.offset
            return found

        return asyncio.run(drain())

    def fetch(self, *fetched: tuple[TP, int]) -> list[tuple[TP, int]]:
        self.fetched, self.seek_at = list(fetched), None
        return self.delivered()


def test_records_fetched_with_no_seek_are_all_delivered() -> None:
    consumer = _Consumer([(NEWS, 5), (OTHER, 9), (NEWS, 6)])
    assert consumer.delivered() == [(NEWS, 5), (OTHER, 9), (NEWS, 6)]
    assert consumer._read_offset == {NEWS: 6, OTHER: 9}


def test_records_of_a_partition_fetched_before_its_seek_are_dropped_the_others_kept() -> None:
    consumer = _Consumer([(NEWS, 5), (OTHER, 9), (NEWS, 6), (OTHER, 10), (NEWS, 7)], seek_at=(2, NEWS, 3))
    assert consumer.delivered() == [(NEWS, 5), (OTHER, 9), (OTHER, 10)]
    assert consumer._read_offset[NEWS] == 3


def test_records_fetched_after_a_seek_are_delivered() -> None:
    consumer = _Consumer([(NEWS, 3)], seek_at=(0, NEWS, 3))
    consumer.delivered()  # the seek comes after this fetch
    consumer.seek_at = None
    assert consumer.delivered() == [(NEWS, 3)]


def test_a_seek_while_a_record_is_handed_over_keeps_the_read_offset_it_set() -> None:
    consumer = _Consumer([(NEWS, 8), (OTHER, 9)], seek_at=(0, NEWS, 3), during=True)
    assert consumer.delivered() == [(NEWS, 8), (OTHER, 9)]
    assert consumer._read_offset == {NEWS: 3, OTHER: 9}


def test_a_fetch_result_carries_its_seek_counts_and_is_still_the_records() -> None:
    records = Fetched({NEWS: [1, 2]})
    records.seeks = {NEWS: 4}
    assert dict(records) == {NEWS: [1, 2]} and records.seeks == {NEWS: 4}


def test_a_partition_that_jumps_is_read_again_from_its_next_offset_not_delivered_out_of_order() -> None:
    consumer = _Consumer([])
    delivered = consumer.fetch((NEWS, 5), (OTHER, 2), (NEWS, 9), (OTHER, 3), (NEWS, 10))
    assert delivered == [(NEWS, 5), (OTHER, 2), (OTHER, 3)]
    assert consumer.sought == [(NEWS, 6)]
    assert consumer._read_offset[NEWS] == 6
    assert consumer.fetch((NEWS, 6), (NEWS, 7), (NEWS, 8), (NEWS, 9)) == [(NEWS, 6), (NEWS, 7), (NEWS, 8), (NEWS, 9)]
    assert consumer.sought == [(NEWS, 6)]


def test_a_record_faust_drops_as_read_already_is_read_again_before_its_successors() -> None:
    consumer = _Consumer([])
    consumer.fetch((NEWS, 5))
    consumer._read_offset[NEWS] = 7  # faust's read offset ahead of what it handed over
    assert consumer.fetch((NEWS, 6), (NEWS, 7)) == []  # 6 dropped by faust; 7 would jump past it
    assert consumer.sought == [(NEWS, 6)]
    assert consumer.fetch((NEWS, 6), (NEWS, 7)) == [(NEWS, 6), (NEWS, 7)]


def test_a_partition_read_from_a_seek_must_start_at_the_sought_offset() -> None:
    consumer = _Consumer([])
    consumer.fetch((NEWS, 20))
    asyncio.run(consumer.seek(NEWS, 12))  # a rebalance: back to the committed offset
    assert consumer.fetch((NEWS, 14), (NEWS, 15)) == []
    assert consumer.sought == [(NEWS, 12), (NEWS, 12)]
    assert consumer.fetch((NEWS, 12), (NEWS, 13), (NEWS, 14)) == [(NEWS, 12), (NEWS, 13), (NEWS, 14)]


def test_a_jump_that_stays_when_read_again_is_delivered_offsets_without_records() -> None:
    consumer = _Consumer([])
    consumer.fetch((NEWS, 5))
    assert consumer.fetch((NEWS, 8)) == []
    assert consumer.fetch((NEWS, 8), (NEWS, 9)) == [(NEWS, 8), (NEWS, 9)]
    assert consumer.sought == [(NEWS, 6)]


def test_records_of_topics_that_agents_do_not_read_are_not_held_to_their_order() -> None:
    consumer = _Consumer([])
    assert consumer.fetch((CHANGELOG, 5), (CHANGELOG, 9)) == [(CHANGELOG, 5), (CHANGELOG, 9)]
    assert consumer.sought == []


def test_a_partition_revoked_and_assigned_again_reads_on_from_where_its_other_owner_stopped() -> None:
    consumer = _Consumer([])
    consumer.fetch((NEWS, 36))

    async def revoke(self: Any, revoked: Any) -> None:
        self._read_offset.pop(NEWS, None)

    asyncio.run(_wrap_on_partitions_revoked(revoke)(consumer, {NEWS}))
    asyncio.run(_wrap_perform_seek(perform_seek)(consumer))  # assigned again: sought to its committed offset
    assert consumer.fetch((NEWS, 55), (NEWS, 56)) == [(NEWS, 55), (NEWS, 56)]
    assert consumer.sought == []


async def perform_seek(self: Any) -> None:
    """faust's, as the wrapper sees it (the client's positions and faust's read offsets are set)."""


async def revoke_all(self: Any, revoked: Any) -> None:
    """faust's, as the wrapper sees it."""


def test_records_of_a_partition_not_sought_since_its_assignment_do_not_reach_the_agents() -> None:
    consumer = _Consumer([])
    asyncio.run(_wrap_on_partitions_revoked(revoke_all)(consumer, {NEWS, OTHER, CHANGELOG}))
    # faust lets the fetcher run from where the client started while it recovers its tables
    assert consumer.fetch((NEWS, 0), (OTHER, 3), (CHANGELOG, 8)) == [(CHANGELOG, 8)]
    asyncio.run(consumer.seek(OTHER, 3))  # a partition sought on its own is ready
    assert consumer.fetch((NEWS, 1), (OTHER, 3)) == [(OTHER, 3)]
    asyncio.run(_wrap_perform_seek(perform_seek)(consumer))
    assert consumer.fetch((NEWS, 40), (OTHER, 4)) == [(NEWS, 40), (OTHER, 4)]


def test_a_seek_to_the_committed_offsets_sets_where_each_partition_must_start_as_soon_as_it_returns() -> None:
    consumer = _Consumer([])
    consumer.fetch((NEWS, 20), (OTHER, 30))

    async def seek_to_committed(self: Any) -> dict[TopicPartition, int]:
        return {TopicPartition(NEWS.topic, NEWS.partition): 12, TopicPartition(OTHER.topic, OTHER.partition): -1}

    asyncio.run(_wrap_seek_to_committed(seek_to_committed)(consumer))
    # faust's perform_seek awaits more after this (its committed offsets, the fixes' seeks of partitions
    # without one) while records flow: the next offsets hold already.
    assert consumer.fetch((NEWS, 14)) == []
    assert consumer.sought == [(NEWS, 12)]
    assert consumer.fetch((NEWS, 12), (NEWS, 13)) == [(NEWS, 12), (NEWS, 13)]
    assert consumer.fetch((OTHER, 40)) == [(OTHER, 40)]  # no committed offset: its first record sets it


def test_the_partitions_of_the_fetch_being_handed_over_are_known_until_it_is_done() -> None:
    consumer = _Consumer([])

    async def wait_next_records(self: Any, timeout: float) -> Any:
        return {NEWS: [1, 2], OTHER: [3]}, None

    asyncio.run(_wrap_wait_next_records(wait_next_records)(consumer, 1.0))
    assert in_batch(consumer) == {NEWS, OTHER}  # its records may wait behind an agent's full queue
    consumer.fetch((NEWS, 1))
    assert in_batch(consumer) == set()
