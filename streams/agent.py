"""The faust side of one dataset: batches of raw events in, clean and dead-letter messages out, state after.

Delivery guarantee: at least once, with no loss and no duplicate of the processor's own making in normal
operation. Per batch, every outcome is sent first (through the worker's one producer,
:mod:`streams.output`); then the batch waits for the broker's acknowledgement of all of its output and only
then writes the keys' state (dedup window, current version) to the faust tables, in the order of the
events, and waits for the acknowledgement of those writes' changelog records (:mod:`streams.changelog`); only
after the batch returns does faust mark its offsets for commit. So a state entry
always describes output that is already in Kafka, and an offset is never committed ahead of its output.

A crash (SIGKILL) in the middle of a batch leaves output in Kafka whose state was not yet written — sent but
not yet acknowledged, or acknowledged in the last instants — and the batch's offsets uncommitted: on restart
the batch is read again and those events are sent a second time. The clean topic may then hold the same
event id twice: the same bytes (same record, same version), which the sink's current table collapses; its
history table gets a second row. The same holds for table writes whose changelog record had not reached
the broker when a worker's RocksDB is lost (another host takes the partition). If anything fails in a
batch — the broker refuses output for good, a table write fails — the worker exits at once without
committing (fail-stop), so the batch is processed again by the next worker; faust itself would log the
agent's crash and commit the batch.

Why not faust's ``processing_guarantee="exactly_once"``: it runs against Kafka 4.1 here, but faust 0.15
routes an agent's sends by the *destination* partition's transactional producer (sends to a topic it does
not consume go outside any transaction), buffers table changelog writes outside the commit boundary, and
writes RocksDB before the transaction commits. None of that makes our clean topic exactly-once.

Clean and dead-letter messages go to the same partition number as their raw message: the three topics of a
dataset are co-partitioned whatever client partitioned the raw one (librdkafka and aiokafka hash keys
differently).

faust keys the RocksDB partition of a table read or write by the *current event*; a ``take_events`` batch
mixes partitions, so :func:`streams.changelog.make_current` sets each event as current before touching its
state.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, cast

from faust.transport.consumer import Consumer
from faust.types import EventT

from streams import faust_seeks
from streams.base import Accepted, Duplicate, Rejected
from streams.changelog import make_current, put_states, state_writes
from streams.dead_letters import dead_letter_headers
from streams.golden.router import SourceRouter
from streams.ordering import KeyState
from streams.output import OutputBatch, OutputProducer
from streams.ownership import owned_filter
from streams.partition_order import ProcessedInOrder
from streams.processor import DatasetProcessor
from streams.quality.tap import QualityTap
from streams.tables import read, write

log = logging.getLogger("hub.streams")

BATCH_SIZE = 2000
BATCH_WITHIN_S = 0.05
LATE_HEADER = ("late", b"1")
"""On a clean message whose key already had a newer-or-equal version: history, not the current state."""
FAIL_STOP_EXIT_CODE = 70


def _fail_stop(exc: BaseException) -> None:
    """Exit at once, so that faust does not commit the offsets of a batch whose output or state may be
    incomplete; the next worker processes the batch again."""
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {frame[0].filename}:{frame[0].lineno}" if frame else ""
    # The type and place only: an exception's message may quote a value, and values are personal data.
    log.critical("a batch failed (%s%s); exiting so that it is processed again", type(exc).__name__, where)
    logging.shutdown()
    os._exit(FAIL_STOP_EXIT_CODE)


async def write_states(table: Any, events: list[EventT], changed: dict[tuple[int, bytes], EventT],
                       states: dict[tuple[int, bytes], Any], encode: Callable[[Any], bytes],
                       output: OutputProducer) -> None:
    """After a batch's output is acknowledged: write the last state of every (partition, key) it changed, in
    that partition's store, for the partitions this worker still owns (:func:`streams.ownership.owned_filter`);
    return once their changelog records are acknowledged (:mod:`streams.changelog`)."""
    with state_writes(output) as writes:
        put_states(table, events, changed, states, encode)
    await writes.acknowledged()


async def in_order(order: ProcessedInOrder, events: list[EventT]) -> list[EventT]:
    """The events of a batch that continue their partition (:class:`streams.partition_order.ProcessedInOrder`).
    A partition whose record skips an offset keeps none of its records from there on, and is sought back to
    the missing one; those records are acknowledged unprocessed, and its commit waits for the missing one
    (:mod:`streams.faust_fixes`), so they are read and processed again after it."""
    if not events:
        return events
    app = events[0].app
    consumer = cast(Consumer, app.consumer)
    generation = app.consumer_generation_id
    committed = consumer._committed_offset
    now = time.monotonic()
    kept: list[EventT] = []
    jumped: dict[Any, tuple[int, int]] = {}
    for event in events:
        msg = event.message
        if msg.generation_id != generation:  # a rebalance's leftover: ownership.owned_filter deals with it
            kept.append(event)
            continue
        tp = msg.tp
        if tp in jumped:
            continue
        missing = order.admit(tp, generation, msg.offset, committed.get(tp), now)
        if missing is None:
            kept.append(event)
        else:
            jumped[tp] = (missing, msg.offset)
    for skipped, first, offset in order.given_up:
        log.warning("%s: offsets %d..%d did not come back after a seek; taken as deleted", skipped, first,
                    offset - 1)
    order.given_up.clear()
    for tp, (missing, offset) in jumped.items():
        if not order.seek_due(tp, generation, missing, now):
            continue
        # Offsets and faust's bookkeeping only, to find out where the record went.
        log.warning("%s[%d]: offset %d reached an agent before %d (generation %d; committed %s, read offset %s, "
                    "next to hand over %s); reading it again from %d", tp.topic, tp.partition, offset, missing,
                    generation, committed.get(tp), consumer._read_offset.get(tp),
                    faust_seeks.next_offset(consumer, tp), missing)
        if tp in consumer.assignment():
            await consumer.seek(tp, missing)
    return kept


def batched(process: Callable[[list[EventT]], Awaitable[None]], size: int = BATCH_SIZE,
            within_s: float = BATCH_WITHIN_S) -> Callable[[Any], Awaitable[None]]:
    """An agent body running ``process`` on batches of its stream, each partition's events in offset order
    with none skipped (:func:`in_order`); faust commits a batch's offsets only after ``process`` returned;
    any exception in ``process`` is a fail-stop."""
    async def run(stream: Any) -> None:
        order = ProcessedInOrder()
        async for batch in stream.take_events(size, within=within_s):
            try:
                events = await in_order(order, batch)
                if events:
                    await process(events)
            except Exception as exc:  # faust would ack the batch and carry on: its output may be incomplete
                _fail_stop(exc)

    return run


class CleaningAgent:
    """Cleans one dataset's raw topic into its clean and dead-letter topics.

    ``keys`` is the dataset's key-state table. ``births`` is the table of citizens' dates of birth
    (CCCD → ISO date) from the clean current state of ``population.citizen``: the citizen agent
    ``feeds_births``, the civil-status agent reads it for the death-before-birth rule. ``tap``, if given, takes
    the quality observations of the raw messages and clean events (:mod:`streams.quality.tap`) and sends
    them with the batch's output. ``router``, if given, routes every accepted event to the golden merge
    (:mod:`streams.golden.router`): its contributions go out with the batch's output, its state is written
    with the keys' state."""

    def __init__(self, processor: DatasetProcessor, output: OutputProducer, clean: str, dlq: str, keys: Any,
                 births: Any, feeds_births: bool = False, tap: QualityTap | None = None,
                 router: SourceRouter | None = None) -> None:
        self.processor = processor
        self._tap = tap
        self._router = router
        self._output = output
        self._clean = clean
        self._dlq = dlq
        self._keys = keys
        self._births = births
        self._feeds_births = feeds_births

    async def run(self, stream: Any) -> None:
        await batched(self.process)(stream)

    async def process(self, events: list[EventT]) -> None:
        """Send every outcome of ``events``; once all of it is acknowledged, write the accepted events' state."""
        overlay: dict[bytes, KeyState] = {}  # state of keys changed by earlier events of this batch
        accepted: list[tuple[EventT, bytes, Accepted]] = []
        out = self._output.batch()
        tap, router = self._tap, self._router
        if router is not None:
            router.begin()
        where = [((e.message.topic, e.message.partition), e.message.offset) for e in events] if tap else []
        fresh = tap.begin(where) if tap is not None else []
        for i, event in enumerate(events):
            make_current(event)
            msg = event.message
            decoded = self.processor.decode(msg.value, msg.key)
            observed = tap if tap is not None and fresh[i] else None
            if observed is not None:
                observed.raw(int(msg.timestamp * 1000), decoded.system)
            if isinstance(decoded, Rejected):
                self._dead_letter(out, event, decoded)
                continue
            key = decoded.key.encode()
            state = overlay[key] if key in overlay else self._state(key)
            outcome = self.processor.judge(decoded, state, self._birth_of)
            if isinstance(outcome, Duplicate):
                log.debug("duplicate %s[%d]@%d dropped", msg.topic, msg.partition, msg.offset)
            elif isinstance(outcome, Rejected):
                self._dead_letter(out, event, outcome)
            else:
                out.send(self._clean, msg.key, outcome.value, msg.partition, [LATE_HEADER] if outcome.late else None)
                if observed is not None:
                    observed.clean(decoded.envelope, outcome.current)
                if router is not None:
                    router.route(out, event, self.processor.clean_envelope(decoded, outcome))
                overlay[key] = outcome.state
                accepted.append((event, key, outcome))
        if tap is not None:
            tap.send(out.send)
        await out.acknowledged()  # raises when the producer gave up on a message
        if tap is not None:
            tap.counted()
        owned = owned_filter(events)
        with state_writes(self._output) as writes:
            if router is not None:  # first: a crash between the two finds the events new, and routes them again
                router.put_states(events)
            for event, key, outcome in accepted:
                if (event.message.topic, event.message.partition) not in owned:
                    continue
                make_current(event)
                write(self._keys, key, outcome.state.to_bytes())
                if self._feeds_births and not outcome.late:
                    self._set_birth(key, outcome.current)
        await writes.acknowledged()

    def _state(self, key: bytes) -> KeyState | None:
        raw = read(self._keys, key)
        return KeyState.from_bytes(raw) if raw else None

    def _birth_of(self, cccd: str) -> date | None:
        raw = read(self._births, cccd.encode())
        return date.fromisoformat(raw.decode()) if raw else None

    def _set_birth(self, cccd: bytes, record: dict[str, Any] | None) -> None:
        if record is not None:
            write(self._births, cccd, record["date_of_birth"].isoformat().encode())
        elif read(self._births, cccd) is not None:
            del self._births[cccd]

    def _dead_letter(self, out: OutputBatch, event: EventT, rejected: Rejected) -> None:
        msg = event.message
        # Offsets and reason codes only: the payload may carry personal data.
        log.info("rejected %s[%d]@%d: %s %s", msg.topic, msg.partition, msg.offset, rejected.rejection.reason,
                 rejected.rejection.field)
        headers = dead_letter_headers(rejected, msg.topic, msg.partition, msg.offset, int(time.time() * 1000))
        out.send(self._dlq, msg.key, msg.value, msg.partition, headers)
