"""Seeks that take effect: fixes for how faust-streaming 0.15 seeks a partition while its fetcher runs.

The hub seeks partitions back to their committed offsets (:mod:`streams.faust_fixes`: a hole in the
acknowledged offsets, a partition without a committed offset). Three faust behaviours defeated such a seek:

* faust called aiokafka's ``seek`` from the app's thread, while aiokafka runs in the consumer's thread. The
  seek deletes the partition's prefetched records and wakes the fetcher from the wrong thread: the fetcher
  then crashed with a ``KeyError`` or slept on. A seek now runs in the consumer's thread, like faust's other
  calls into aiokafka.
* faust goes on delivering the records of a fetch made before the seek. The first of them moves the
  partition's read offset past the sought one, and the records read again from there are dropped as already
  read; the hole stays. Records fetched before a seek of their partition are now dropped: aiokafka counts
  the seeks of each partition (in its thread) and every fetch carries the counts it was made under.
* a record being handed to an agent when the seek happens has its offset written as the read offset after
  the seek wrote the sought one. The sought read offset is now put back.

A record faust drops as read already (its offset below faust's read offset) does not count as handed over:
were it the next one, its successor's jump seeks the partition back to it, which resets the read offset.

Dropping a stale record loses nothing: its offset lies after the sought one, so the fetcher reads it again.

The same wrapper of faust's ``getmany`` keeps each partition of the agents' topics in order
(:mod:`streams.partition_order`): a record past the next offset to deliver is dropped, and its partition
sought back to that offset. Until a partition has been sought after its assignment (faust's ``perform_seek``, to
its committed offset), its records do not reach the agents: faust lets the fetcher run from wherever the
client started (the first offset, for a partition without a committed one) while it recovers its tables, and
what the agents processed and committed from there made holes once the seek came. A revoked partition's next
offset is forgotten, as faust forgets its read offset:
its next owner may have read on, and where this worker resumes is the committed offset it seeks to. That
offset is the next one from the moment faust's ``perform_seek`` has it (its ``seek_to_committed`` returned):
records go on flowing while ``perform_seek`` awaits more, and faust already reads from there.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from aiokafka.consumer.fetcher import Fetcher
from faust.transport.consumer import Consumer, ensure_TP
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumer
from faust.types import TP

from streams.partition_order import InOrder

log = logging.getLogger("hub.streams.offsets")


class Fetched(dict):  # type: ignore[type-arg]
    """The records of one fetch, with the seek counts of the fetcher when it returned them."""

    seeks: dict[Any, int]


def seek_counts(owner: Any) -> dict[Any, int]:
    """Per partition, how many seeks ``owner`` (an aiokafka fetcher, or faust's consumer) has made."""
    return cast(dict[Any, int], owner.__dict__.setdefault("_hub_seeks", {}))


def _count(owner: Any, partitions: Any) -> None:
    counts = seek_counts(owner)
    for tp in partitions:
        counts[tp] = counts.get(tp, 0) + 1


# In the consumer's thread.

def _wrap_seek_to(original: Any) -> Any:
    def seek_to(self: Fetcher, tp: Any, offset: int) -> None:
        _count(self, [tp])
        original(self, tp, offset)

    return seek_to


def _wrap_fetch_records(original: Any) -> Any:
    async def _fetch_records(self: AIOKafkaConsumerThread, consumer: Any, *args: Any, **kwargs: Any) -> Any:
        records = Fetched(await original(self, consumer, *args, **kwargs))
        records.seeks = dict(seek_counts(consumer._fetcher))  # no await since the fetch: nothing sought since
        return records

    return _fetch_records


# In the app's thread.

async def _seek_in_thread(self: Any, partition: TP, offset: int) -> None:
    """faust's aiokafka ``Consumer._seek``, run in the consumer's thread (``call_thread`` also takes plain
    functions)."""
    await self._thread.call_thread(self._thread.seek, partition, offset)


def _fetcher_seeks(consumer: Consumer) -> dict[Any, int] | None:
    client = getattr(getattr(consumer, "_thread", None), "_consumer", None)
    return seek_counts(client._fetcher) if client is not None else None


def _wrap_wait_next_records(original: Any) -> Any:
    async def _wait_next_records(self: Consumer, timeout: float) -> Any:
        records, active = await original(self, timeout)
        self.__dict__["_hub_fetched"] = getattr(records, "seeks", None)
        self.__dict__["_hub_batch"] = set(records or ())
        return records, active

    return _wait_next_records


def is_stale(tp: Any, fetched: dict[Any, int] | None, now: dict[Any, int] | None) -> bool:
    """Whether a record of ``tp`` fetched under the seek counts ``fetched`` predates a seek (counts ``now``)."""
    return fetched is not None and now is not None and now.get(tp, 0) != fetched.get(tp, 0)


def in_batch(consumer: Consumer) -> set[Any]:
    """The partitions of the fetch faust is handing over (its records may wait behind an agent's full queue)."""
    return cast(set[Any], consumer.__dict__.get("_hub_batch", set()))


def ready(consumer: Consumer) -> set[TP]:
    """The partitions sought since they were assigned: only their records reach the agents."""
    return cast(set[TP], consumer.__dict__.setdefault("_hub_ready", set()))


def in_order(consumer: Consumer) -> InOrder:
    """The next offset of each partition ``consumer`` delivers to agents."""
    return cast(InOrder, consumer.__dict__.setdefault("_hub_in_order", InOrder()))


def next_offset(consumer: Consumer, tp: TP) -> str:
    """For a log line: the next offset of ``tp`` to hand to the agents, or why none is."""
    if tp not in ready(consumer):
        return "none (not sought since assigned)"
    offset = in_order(consumer).next(tp)
    return "unknown" if offset is None else str(offset)


def _wrap_getmany(original: Any) -> Any:
    async def getmany(self: Consumer, timeout: float) -> Any:
        self.__dict__["_hub_fetched"] = None  # set by _wait_next_records before the first record
        sought = self.__dict__.setdefault("_hub_sought", {})
        order = in_order(self)
        sought_since_assigned = ready(self)
        for_agents = self.app.topics.acks_enabled_for
        async for tp, message in original(self, timeout):
            if is_stale(tp, self.__dict__["_hub_fetched"], _fetcher_seeks(self)):
                continue
            if tp not in sought_since_assigned and for_agents(tp.topic):
                continue  # read from where the client started, not the committed offset faust seeks to next
            back = order.check(tp, message.offset) if for_agents(tp.topic) else None
            if back is not None:
                # At a rebalance faust drops fetched records; reading them again loses nothing and keeps order.
                log.info("%s[%d] jumped from offset %d to %d; reading it again from %d", tp.topic, tp.partition,
                         back, message.offset, back)
                await self.seek(tp, back)
                continue
            before = seek_counts(self).get(tp, 0)
            yield tp, message  # resumed once faust has handed it over and set the read offset to its offset
            if seek_counts(self).get(tp, 0) != before:
                self._read_offset[tp] = sought.get(tp)
            elif self._read_offset.get(tp) == message.offset:
                order.delivered(tp, message.offset)
            elif for_agents(tp.topic) and message.offset >= (order.next(tp) or 0):
                # faust dropped it as read already; the next record's jump reads it again from here
                log.warning("%s[%d]: faust dropped offset %d as read already (its read offset %s)", tp.topic,
                            tp.partition, message.offset, self._read_offset.get(tp))
        self.__dict__["_hub_batch"] = set()

    return getmany


def _remember_seek(consumer: Consumer, read_offsets: dict[TP, int | None]) -> None:
    """A seek set these read offsets in faust (None: unknown): count it, and keep them as where each
    partition reads next."""
    sought = consumer.__dict__.setdefault("_hub_sought", {})
    order = in_order(consumer)
    for tp, offset in read_offsets.items():
        sought[tp] = offset
        order.sought(tp, offset)
    _count(consumer, read_offsets)


def _wrap_seek(original: Any) -> Any:
    async def seek(self: Consumer, partition: TP, offset: int) -> None:
        await original(self, partition, offset)
        _remember_seek(self, {partition: self._read_offset.get(partition)})
        in_order(self).sought(partition, offset)  # faust keeps offset 0 as an unknown read offset
        ready(self).add(partition)

    return seek


def _wrap_seek_to_committed(original: Any) -> Any:
    async def seek_to_committed(self: Consumer) -> Any:
        committed = await original(self)
        # Kept before anything else runs: faust sets its read offsets from these right away (None or -1: no
        # committed offset, streams.faust_fixes then seeks to the first one), and records flow while
        # perform_seek awaits more.
        read_offsets = {ensure_TP(tp): o if o is not None and o >= 0 else None for tp, o in committed.items()}
        _remember_seek(self, read_offsets)
        ready(self).update(tp for tp, o in read_offsets.items() if o is not None)
        return committed

    return seek_to_committed


def _wrap_perform_seek(original: Any) -> Any:
    async def perform_seek(self: Consumer) -> None:
        await original(self)
        ready(self).update(self.assignment())  # each has its committed offset or was sought to its first one

    return perform_seek


def _wrap_on_partitions_revoked(original: Any) -> Any:
    async def on_partitions_revoked(self: Consumer, revoked: Any) -> None:
        await original(self, revoked)
        in_order(self).forget(revoked)  # as faust forgets their read offsets
        ready(self).difference_update(revoked)

    return on_partitions_revoked


def install() -> None:
    """Patch aiokafka's fetcher and faust's consumer classes (the caller makes sure it runs once)."""
    Fetcher.seek_to = _wrap_seek_to(Fetcher.seek_to)  # type: ignore[method-assign]
    AIOKafkaConsumerThread._fetch_records = _wrap_fetch_records(  # type: ignore[method-assign]
        AIOKafkaConsumerThread._fetch_records)
    AIOKafkaConsumer._seek = _seek_in_thread  # type: ignore[method-assign, assignment]
    Consumer._wait_next_records = _wrap_wait_next_records(Consumer._wait_next_records)  # type: ignore[method-assign]
    Consumer.getmany = _wrap_getmany(Consumer.getmany)  # type: ignore[method-assign]
    Consumer.seek = _wrap_seek(Consumer.seek)  # type: ignore[method-assign]
    AIOKafkaConsumer.seek_to_committed = _wrap_seek_to_committed(  # type: ignore[method-assign]
        AIOKafkaConsumer.seek_to_committed)
    Consumer.perform_seek = _wrap_perform_seek(Consumer.perform_seek)  # type: ignore[method-assign]
    Consumer.on_partitions_revoked = _wrap_on_partitions_revoked(  # type: ignore[method-assign]
        Consumer.on_partitions_revoked)
