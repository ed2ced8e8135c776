"""Fixes for faust-streaming 0.15's offset bookkeeping that otherwise lose events at a rebalance.

faust reads each partition in its fetcher loop and remembers the last offset it handed to the agents (its
"read offset"). When a message arrives more than one offset beyond it, faust assumes the offsets in between
do not exist (transaction markers, compacted records) and records them as a *gap*, which it later commits as
if processed. That guess is wrong at a rebalance: faust seeks every assigned partition back to its committed
offset (once when recovery resumes the streams, again when the fetcher finds the flow stopped), and records
fetched before a seek can still arrive after it. The jump they make is taken for a gap, the offsets in it are
committed without ever reaching an agent, and what the fetcher delivers for them afterwards is dropped as
"already read". The scaling test (one worker, then two, then one) lost golden contributions this way.

A rebalance can also hang. faust stops the flow, clears the agents' queues and waits until every message
taken from the fetcher is acknowledged. When two agents read the same topic (a raw topic feeds the cleaning
agent and a quality observer), each message is delivered to both; if one agent processed it and the other
takes it only after the flow stopped, the second skips it without acknowledging it, and faust waits for it
forever; the group expels the worker.

The hub's agent topics are written by idempotent, non-transactional producers and are never compacted, so a
jump is always an artifact. :func:`install` therefore changes seven things:

* a jump is not recorded as a gap (it is logged, with topic, partition and offsets only);
* the commit of a partition waits while its earliest acknowledged offset is past the committed one: the
  messages in between have not been processed (faust would commit across a hole of exactly one offset);
* a timer looks for partitions whose commit is held that way while later messages keep being processed
  (:class:`HoleWatch`), and seeks them back to their committed offset, so the skipped messages are read
  again (also when the messages in the hole stay taken by an agent and unacknowledged far longer than a
  batch takes). Messages after the hole are then processed a second time: at least once, as everywhere in
  the streams. A skip of a partition's last messages leaves no hole (nothing after it is acknowledged): the
  timer also seeks back a partition whose client handed out messages past the committed offset while
  nothing stays acknowledged, in flight or queued for its agents;
* a partition without a committed offset is sought back to its first offset, which counts as committed:
  faust's seek leaves such a partition where the fetcher was (skipped messages are never read again) and
  its commit takes whatever run of acknowledged offsets comes first;
* flushing the table writes (before a commit, and before partitions are handed over at a rebalance) waits
  until every write has been handed to the Kafka client: faust's flush gave up after 0.1 s without a send,
  so offsets could be committed, and partitions handed over, while changelog records were still buffered —
  the new owner restored a table without them, and they arrived later, stale;
* waiting for the unacknowledged messages at a rebalance ends once no acknowledgement has come for
  :data:`STALL_S` seconds; those messages are not committed, so whoever owns their partition next reads
  them again;
* a seek takes effect, a partition's records reach the agents only once it has been sought after its
  assignment, and each partition reaches them in offset order, none skipped
  (:mod:`streams.faust_seeks`, :mod:`streams.partition_order`): a record past the next offset is not
  delivered, its partition is sought back. A skip is then re-read before its successors rather than after
  them, which the agents would take for late events (the golden merge would miss their contributions).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, cast

import faust
from faust.transport.consumer import Consumer
from faust.transport.producer import ProducerBuffer
from faust.types import TP

from streams import faust_seeks
from streams.ownership import ABANDONED

log = logging.getLogger("hub.streams.offsets")

CHECK_EVERY_S = 2.0
STALL_S = 5.0
FLUSH_LIMIT_S = 120.0
_INSTALLED = "_hub_offset_fixes"


async def _add_no_gap(self: Consumer, tp: TP, offset_from: int, offset_to: int) -> None:
    log.warning("offsets %d..%d of %s[%d] were skipped by the fetcher; they are not committed and will be read "
                "again", offset_from, offset_to, tp.topic, tp.partition)


def _wrap_new_offset(original: Any) -> Any:
    def _new_offset(self: Consumer, tp: TP) -> int | None:
        if hole(self._acked[tp], self._committed_offset[tp]) is not None:
            return None
        return original(self, tp)  # type: ignore[no-any-return]

    return _new_offset


async def _wait_empty_or_stalled(self: Consumer) -> None:
    """faust's ``wait_empty``, ending when acknowledgements stop coming (see the module's docstring)."""
    remaining, progress_at = len(self._unacked_messages), time.monotonic()
    while not self.should_stop and self._unacked_messages:
        await self.commit()
        if not self._unacked_messages:
            break
        await self._wait_for_ack(timeout=1)
        self._clean_unacked_messages()
        if len(self._unacked_messages) < remaining:
            remaining, progress_at = len(self._unacked_messages), time.monotonic()
        elif time.monotonic() - progress_at >= STALL_S:
            stuck = sorted({(m.tp.topic, m.tp.partition, m.offset) for m in self._unacked_messages})
            log.warning("%d messages were taken from the fetcher but never acknowledged (first: %s); they are "
                        "not committed and will be read again", len(stuck), stuck[:3])
            ABANDONED.update(self._unacked_messages)
            self._unacked_messages.clear()
            break
    await self.commit_and_end_transactions()


async def _flush_all(self: ProducerBuffer) -> None:
    """Wait until every buffered table write has been handed to the Kafka client (faust's ``flush`` returns
    as soon as 0.1 s pass without one being sent, buffer empty or not)."""
    deadline = time.monotonic() + FLUSH_LIMIT_S
    while self.size:
        if self.state != "running":
            raise RuntimeError("the producer stopped with table writes still buffered")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{self.size} table writes still buffered after {FLUSH_LIMIT_S:.0f} s")
        self.message_sent.clear()
        try:
            await asyncio.wait_for(self.message_sent.wait(), timeout=0.1)
        except asyncio.TimeoutError:
            pass


def _wrap_perform_seek(original: Any) -> Any:
    async def perform_seek(self: Consumer) -> None:
        await original(self)
        unknown = [tp for tp in self.assignment()
                   if self.app.topics.acks_enabled_for(tp.topic) and self._committed_offset.get(tp) is None]
        if unknown:
            earliest = await self.earliest_offsets(*unknown)
            for tp in unknown:
                start = earliest.get(tp) or 0
                await self.seek(tp, start)
                self._committed_offset[tp] = start

    return perform_seek


def hole(acked: list[int], committed: int | None) -> tuple[int, int] | None:
    """The offsets ``[committed, first acknowledged)`` not yet processed, or None when the acknowledged
    offsets start right at the committed one (or nothing is known)."""
    if not acked or committed is None:
        return None
    first = min(acked)
    return (committed, first) if first > committed else None


class HoleWatch:
    """Decides which partitions to seek back (pure; fed by :func:`install`'s timer).

    A hole whose messages wait in an agent's queue fills by itself; one whose messages were skipped never
    does. Agents acknowledge a partition's messages in offset order, so once acknowledgements *past* an
    unchanged hole keep arriving while nothing inside it is in flight (taken by an agent, not acknowledged),
    its messages were skipped: seek back. A hole that stays unchanged for ``stale_checks`` checks with
    nothing in flight is sought back too (a skip at the tail of a partition that receives nothing more), and
    so is one that stays unchanged for twice as many with messages in flight: a batch takes seconds, so
    those messages will not be acknowledged (taken by a stream that a rebalance left behind). Reading them
    again costs at most a second processing, which every agent takes as a duplicate.

    A skip can also leave no hole: when it took every message left in a partition, nothing past it is
    acknowledged. Such a partition is *idle*: its Kafka client handed out messages past the committed offset,
    and none is acknowledged, in flight or waiting in its agents' queues. One that stays idle at the same
    committed offset for ``stale_checks`` checks is sought back too."""

    def __init__(self, stale_checks: int = 15) -> None:
        self._stale_checks = stale_checks
        self._seen: dict[TP, tuple[tuple[int, int], int, int]] = {}  # hole, last acknowledged, checks
        self._idle: dict[TP, tuple[int, int]] = {}  # committed offset, checks

    def check(self, holes: dict[TP, tuple[int, int]], last_acked: dict[TP, int],
              in_flight: dict[TP, list[int]], idle: dict[TP, int] | None = None) -> list[tuple[TP, int]]:
        """``holes``: partition → (committed, first acknowledged); ``last_acked``: partition → highest
        acknowledged offset; ``in_flight``: partition → offsets taken by agents, not acknowledged; ``idle``:
        idle partition → committed offset. Returns (partition, committed offset) to seek to."""
        due: list[tuple[TP, int]] = []
        idle_kept: dict[TP, tuple[int, int]] = {}
        for tp, committed in (idle or {}).items():
            checks = self._idle[tp][1] + 1 if self._idle.get(tp, (None, 0))[0] == committed else 1
            if checks >= self._stale_checks:
                due.append((tp, committed))
            else:
                idle_kept[tp] = (committed, checks)
        self._idle = idle_kept
        kept: dict[TP, tuple[tuple[int, int], int, int]] = {}
        for tp, (committed, first) in holes.items():
            last = last_acked.get(tp, first)
            busy = any(committed <= o < first for o in in_flight.get(tp, ()))
            seen = self._seen.get(tp)
            if seen is None or seen[0] != (committed, first):
                kept[tp] = ((committed, first), last, 1)
            elif (not busy and last > seen[1]) or seen[2] + 1 >= self._stale_checks * (2 if busy else 1):
                due.append((tp, committed))
            else:
                kept[tp] = (seen[0], last, seen[2] + 1)
        self._seen = kept
        return due


def client_position(consumer: Consumer, tp: TP) -> int | None:
    """The next offset the Kafka client hands out for ``tp`` (fetched records wait in its buffer before), or
    None if it has none (not assigned, or reset pending)."""
    client = getattr(getattr(consumer, "_thread", None), "_consumer", None)
    subscription = getattr(getattr(client, "_subscription", None), "subscription", None)
    assignment = getattr(subscription, "assignment", None)
    try:
        state = assignment.state_value(tp) if assignment is not None else None
    except (KeyError, AttributeError):
        return None
    return state.position if state is not None and state.has_valid_position else None


def idle_partitions(app: faust.App, consumer: Consumer, assigned: Any,
                    in_flight: dict[TP, list[int]]) -> dict[TP, int]:
    """Assigned partitions of the agents' topics whose client handed out messages past the committed offset
    while nothing is acknowledged, in flight, queued for their agents or still being handed over by faust
    → their committed offset. (Under load a partition's messages wait far longer than a check in the
    client's buffer, or in faust's current fetch behind another agent's full queue: not a skip.)"""
    queued = {topic for topic, channels in app.topics._topic_name_index.items()  # type: ignore[attr-defined]
              if any(channel.queue.qsize() for channel in list(channels))}
    handing_over = faust_seeks.in_batch(consumer)
    idle = {}
    for tp in assigned:
        committed = consumer._committed_offset.get(tp)
        if (committed is None or not app.topics.acks_enabled_for(tp.topic) or tp.topic in queued
                or consumer._acked.get(tp) or in_flight.get(tp) or tp in handing_over):
            continue
        position = client_position(consumer, tp)
        if position is not None and position > committed:
            idle[tp] = committed
    return idle


def install(app: faust.App, every_s: float = CHECK_EVERY_S) -> None:
    """Patch faust's consumer class (once per process) and add the hole-watching timer to ``app``."""
    if not getattr(Consumer, _INSTALLED, False):
        Consumer._add_gap = _add_no_gap  # type: ignore[method-assign]
        Consumer._new_offset = _wrap_new_offset(Consumer._new_offset)  # type: ignore[method-assign]
        Consumer.wait_empty = _wait_empty_or_stalled  # type: ignore[method-assign]
        Consumer.perform_seek = _wrap_perform_seek(Consumer.perform_seek)  # type: ignore[method-assign]
        ProducerBuffer.flush = _flush_all  # type: ignore[method-assign]
        faust_seeks.install()
        setattr(Consumer, _INSTALLED, True)
    watch = HoleWatch()

    async def seek_back_skipped() -> None:
        consumer = cast(Consumer, app.consumer)
        assigned = consumer.assignment()
        holes, last_acked = {}, {}
        for tp in list(consumer._acked):
            found = hole(consumer._acked[tp], consumer._committed_offset.get(tp))
            if found is not None and tp in assigned:
                holes[tp], last_acked[tp] = found, max(consumer._acked[tp])
        in_flight: dict[TP, list[int]] = {}
        for message in list(consumer._unacked_messages):
            if not message.acked and message.generation_id == app.consumer_generation_id:
                in_flight.setdefault(message.tp, []).append(message.offset)
        settled = consumer.flow_active and not app.in_recovery  # partitions are paused while tables recover
        idle = idle_partitions(app, consumer, assigned, in_flight) if settled else {}
        for tp, offset in watch.check(holes, last_acked, in_flight, idle):
            if tp in holes:
                log.warning("reading %s[%d] again from its committed offset %d: the offsets before %d were never "
                            "processed", tp.topic, tp.partition, offset, holes[tp][1])
            else:
                log.warning("reading %s[%d] again from its committed offset %d: messages from there were read, but "
                            "none reached its agents", tp.topic, tp.partition, offset)
            await consumer.seek(tp, offset)

    app.timer(every_s, name="hub_seek_back_skipped")(seek_back_skipped)
