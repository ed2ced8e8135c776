"""The Kafka side of the sink: bounded batches from the clean topics, insert, then commit.

Exactly-once effect: each insert covers one topic's messages of a batch, a contiguous offset range per
partition, and carries the deduplication token ``<topic>/<partition>:<first>-<last>/…`` (:func:`batch_token`);
offsets are committed only after the insert succeeded; and on every partition assignment the consumer
starts after the highest offset already stored in ClickHouse, so a crash between insert and commit neither
loses nor doubles a row.

Pipelining: one insert thread inserts a batch while the consumer fetches and decodes the next (the
embedded engine and the HTTP client spend much of an insert outside the GIL). Batches land in order and
each is committed after its insert; before partitions move (revoke, assign) the running insert is awaited,
so the next owner's resume point includes it.

Backpressure: when ClickHouse refuses an insert, the sink pauses its partitions (so nothing more is
fetched and memory stays at one batch), keeps polling so it stays in the group, retries the same batch
with exponential backoff, and resumes when the insert succeeds. If its partitions are revoked meanwhile,
the batch is dropped uncommitted: the partitions' next owner reads it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from hub.catalogue import Catalogue
from hub.errors import ClickHouseError, KafkaError, WireFormatError
from hub.settings import SinkSettings
from hub.wire import HEADER_SIZE, SchemaCache, unframe
from sinks.backoff import Backoff
from sinks.base import BatchWriter
from sinks.dead_letters import DeadLetter, decode_headers
from sinks.encoded import EncodedRun
from sinks.rows import Located
from sinks.targets import Target, dlq_topics, topic_targets

log = logging.getLogger("hub.sink")


@dataclass
class SinkStats:
    rows: int = 0
    batches: int = 0
    retries: int = 0
    abandoned_batches: int = 0
    in_flight: int = 0
    """Messages consumed and not yet settled (committed, or left uncommitted for the next owner): at most
    two batches, the one inserting and the one decoded behind it, also while ClickHouse is down."""
    undecodable: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Write:
    topic: str
    count: int
    write: Callable[[], None]


@dataclass
class _Batch:
    """One consumed batch: a write per partition's offset range, the offsets to commit after them."""

    writes: list[_Write]
    commits: list[TopicPartition]
    generation: int
    messages: int
    future: Future[tuple[list[float], ClickHouseError | None]] | None = None


def _insert_all(writes: Sequence[_Write]) -> tuple[list[float], ClickHouseError | None]:
    """Run on the insert thread: the writes in order until one fails with a :class:`ClickHouseError`.
    Returns the seconds of each one that landed, and the error that stopped the rest."""
    done: list[float] = []
    for write in writes:
        started = time.perf_counter()
        try:
            write.write()
        except ClickHouseError as exc:
            return done, exc
        done.append(time.perf_counter() - started)
    return done, None


TAKE_CHUNK = 1000
"""Messages asked of the consumer at a time while a batch fills (its byte bound is checked between asks)."""


def take(consume: Callable[[int, float], list[Message]], count: int, max_bytes: int,
         timeout_s: float) -> list[Message]:
    """One batch: up to ``count`` messages, stopping once their values reach ``max_bytes``, within
    ``timeout_s`` (``consume`` is the consumer's: it returns fewer messages than asked only at its timeout).
    The byte bound keeps a batch of large records (golden records, with their provenance) from holding
    many times the memory of one of small records."""
    deadline = time.monotonic() + timeout_s
    taken: list[Message] = []
    size = 0
    while True:
        want = min(TAKE_CHUNK, count - len(taken))
        got = consume(want, max(0.0, deadline - time.monotonic()))
        taken += got
        size += sum(len(m.value() or b"") for m in got)
        if len(got) < want or len(taken) >= count or size >= max_bytes:
            return taken


def resume_points(partitions: Sequence[tuple[str, int]], committed: dict[tuple[str, int], int],
                  stored: dict[tuple[str, int], int]) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], int]]:
    """Where each assigned partition resumes: after the highest offset stored in ClickHouse when that is
    past the group's committed offset (negative: none, librdkafka's logical offsets), else at the committed
    offset. Returns the start of every partition and, apart, those where the group's commit is behind."""
    starts: dict[tuple[str, int], int] = {}
    behind: dict[tuple[str, int], int] = {}
    for key in partitions:
        after_stored = stored.get(key, -1) + 1
        start = committed.get(key, -1001)
        if after_stored > 0 and (start < 0 or after_stored > start):
            starts[key] = behind[key] = after_stored
        else:
            starts[key] = start
    return starts, behind


def batch_token(topic: str, ranges: dict[int, tuple[int, int]]) -> str:
    """The deduplication token of one topic's insert: its partitions' offset ranges, in partition order
    (``<topic>/<partition>:<first>-<last>/…``), so a retried or replayed batch carries the same one (pure)."""
    return "/".join([topic, *(f"{p}:{first}-{last}" for p, (first, last) in sorted(ranges.items()))])


def _partition(msg: Message) -> int:
    return int(msg.partition() or 0)


def _offset(msg: Message) -> int:
    offset = msg.offset()
    assert offset is not None, "consumed messages always have an offset"
    return offset


class KafkaSink:
    def __init__(self, bootstrap: str, group: str, namespace: str, catalogue: Catalogue,
                 writer: BatchWriter, schemas: SchemaCache, settings: SinkSettings,
                 backoff: Backoff = Backoff(), stop: threading.Event | None = None,
                 on_insert: Callable[[str, int, float], None] | None = None) -> None:
        """``on_insert(topic, rows, seconds)`` is told of every landed insert, retries included in the time
        (the sink's metrics: :class:`monitor.metrics.SinkMetrics`)."""
        self._writer = writer
        self._on_insert = on_insert
        self._backoff = backoff
        self._stop = stop or threading.Event()
        self._generation = 0  # bumped on every revocation
        self._schemas = schemas
        self._settings = settings
        dlq = dlq_topics(catalogue, namespace)
        self._by_topic: dict[str, Target] = {**topic_targets(catalogue, namespace), **dlq}
        self._dlq_topics = set(dlq)
        self.stats = SinkStats()
        # One insert thread: batches land in order, and the next batch is decoded meanwhile.
        self._inserts = ThreadPoolExecutor(1, thread_name_prefix="sink-insert")
        self._pending: _Batch | None = None
        self._catch_up: dict[tuple[str, int], int] = {}  # offsets stored in ClickHouse, to commit to the group
        self._consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "isolation.level": "read_committed",
            "fetch.min.bytes": 1, "fetch.wait.max.ms": 50, "queued.max.messages.kbytes": 32768,
            # A crashed sink's partitions move to its replacement after 10 s rather than 45 s.
            "session.timeout.ms": 10_000, "heartbeat.interval.ms": 2_000,
            # Golden and quality topics may be created after the sink subscribed: notice them within 10 s.
            "topic.metadata.refresh.interval.ms": 10_000,
        })

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._settle()  # the stored offsets must include the insert still running
        committed = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(partitions, timeout=30)}
        stored: dict[tuple[str, int], int] = {}
        for topic in {tp.topic for tp in partitions}:
            for partition, offset in self._writer.max_offsets(self._by_topic[topic], topic).items():
                stored[(topic, partition)] = offset
        starts, behind = resume_points([(tp.topic, tp.partition) for tp in partitions], committed, stored)
        for tp in partitions:
            tp.offset = starts[(tp.topic, tp.partition)]
        for (topic, partition), offset in behind.items():
            log.info("resuming %s[%d] at %d (stored in ClickHouse, committed %d)",
                     topic, partition, offset, committed.get((topic, partition), -1001))
        consumer.assign(partitions)
        # The group's committed offset is what operators' lag reads: bring it up to what ClickHouse holds
        # (a batch whose partitions moved during its insert was stored but not committed).
        self._catch_up.update(behind)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._settle()
        self._generation += 1

    def subscribe(self) -> None:
        self._consumer.subscribe(list(self._by_topic), on_assign=self._on_assign, on_revoke=self._on_revoke)

    def poll_batch(self) -> int:
        """Consume one bounded batch and start inserting it; finish (insert, then commit) the batch before it.

        Returns the number of rows that landed during this call (the previous batch's). Decoding a batch
        overlaps the previous batch's insert, which runs on the sink's insert thread; offsets are committed
        only after their insert finished, in order."""
        try:
            messages = take(self._consumer.consume, self._settings.batch_size, self._settings.batch_bytes,
                            self._settings.batch_timeout_s)
        except KafkaException as exc:
            raise KafkaError(f"consume failed: {exc}") from exc
        self._commit_catch_up()
        batch = self._batch(messages) if messages else None
        if batch is not None:
            self.stats.in_flight += batch.messages
        landed = self._finish()
        if batch is not None and batch.writes:
            batch.future = self._inserts.submit(_insert_all, batch.writes)
            self._pending = batch
        elif batch is not None:
            if batch.commits:
                self._commit(batch.commits)
            self.stats.in_flight -= batch.messages
        return landed

    def _commit(self, offsets: list[TopicPartition]) -> None:
        self._consumer.commit(offsets=offsets, asynchronous=False)
        for tp in offsets:  # a later commit supersedes a resume point not yet committed
            self._catch_up.pop((tp.topic, tp.partition), None)

    def _commit_catch_up(self) -> None:
        """Commit the resume points taken from ClickHouse on assignment, for partitions still ours."""
        if not self._catch_up:
            return
        owned = {(tp.topic, tp.partition) for tp in self._consumer.assignment()}
        offsets = [TopicPartition(t, p, o) for (t, p), o in self._catch_up.items() if (t, p) in owned]
        try:
            if offsets:
                self._consumer.commit(offsets=offsets, asynchronous=False)
            self._catch_up.clear()
        except KafkaException as exc:  # tried again after the next consume; ClickHouse still holds the truth
            log.warning("could not commit the resume points: %s", exc)

    def flush(self) -> int:
        """Finish the batch being inserted (insert, then commit); returns its rows."""
        return self._finish()

    def _batch(self, messages: list[Message]) -> _Batch:
        """Decode ``messages`` into one deduplicated write per topic (pure but for decoding): ClickHouse spends
        about as long on a 1-row insert as on a 1000-row one, so a topic's partitions share one insert."""
        groups: dict[str, list[Message]] = defaultdict(list)
        ranges: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)  # topic -> partition -> first, last
        for msg in messages:
            if msg.error():
                log.warning("consumer error: %s", msg.error())
                continue
            topic, partition, offset = str(msg.topic()), _partition(msg), _offset(msg)
            groups[topic].append(msg)
            first, _ = ranges[topic].get(partition, (offset, offset))
            ranges[topic][partition] = (first, offset)  # a partition's messages come in offset order
        writes: list[_Write] = []
        for topic, msgs in groups.items():
            token = batch_token(topic, ranges[topic])
            if topic in self._dlq_topics:
                letters = [DeadLetter(topic, _partition(m), _offset(m), self._by_topic[topic].name,
                                      m.key() or b"", m.value() or b"", decode_headers(m.headers())) for m in msgs]
                write: Callable[[], None] = partial(self._writer.write_dead_letters, letters, token)
                count = len(letters)
            else:
                dataset, located, schemas = self._prepare(self._by_topic[topic], topic, msgs)
                write = partial(self._writer.write, dataset, located, token, schemas)
                count = len(located)
            if count:
                writes.append(_Write(topic, count, write))
        commits = [TopicPartition(topic, partition, last + 1)
                   for topic, parts in ranges.items() for partition, (_, last) in parts.items()]
        return _Batch(writes, commits, self._generation, sum(len(m) for m in groups.values()))

    def _finish(self) -> int:
        """Wait for the pending batch's insert; retry what failed with backoff; commit. Returns its rows."""
        batch, self._pending = self._pending, None
        if batch is None or batch.future is None:
            return 0
        done, failed = batch.future.result()  # anything but a ClickHouseError propagates: the sink stops uncommitted
        for write, seconds in zip(batch.writes, done):
            if self._on_insert is not None:
                self._on_insert(write.topic, write.count, seconds)
        for index, write in enumerate(batch.writes[len(done):]):
            started = time.perf_counter()
            if not self._write_with_backoff(write.write, batch.generation, failed if index == 0 else None):
                self.stats.abandoned_batches += 1
                self.stats.in_flight -= batch.messages
                return 0
            if self._on_insert is not None:
                self._on_insert(write.topic, write.count, time.perf_counter() - started)
        if self._generation == batch.generation:
            self._commit(batch.commits)
        # else: the partitions moved on after this batch was consumed; its rows are stored, and whoever owns
        # them now resumes after the highest stored offset.
        self.stats.in_flight -= batch.messages
        rows = sum(w.count for w in batch.writes)
        self.stats.rows += rows
        self.stats.batches += 1
        return rows

    def _settle(self) -> None:
        """Wait until the pending insert has finished, whatever its outcome (before partitions move)."""
        if self._pending is not None and self._pending.future is not None:
            wait([self._pending.future])

    def _write_with_backoff(self, write: Callable[[], None], generation: int,
                            failed: ClickHouseError | None = None) -> bool:
        """Write until it succeeds (True), or the partitions were revoked or the sink stops (False).
        ``failed``: the first attempt was already made, and failed so."""
        attempt = 0
        paused: list[TopicPartition] = []
        try:
            while True:
                if failed is None:
                    try:
                        write()
                        return True
                    except ClickHouseError as exc:
                        failed = exc
                attempt += 1
                self.stats.retries += 1
                delay = self._backoff.delay(attempt)
                log.warning("ClickHouse insert failed (attempt %d), retrying in %.1fs: %s", attempt, delay,
                            str(failed)[:200])
                failed = None
                if not paused:
                    paused = self._consumer.assignment()
                    self._consumer.pause(paused)
                deadline = time.monotonic() + delay
                while time.monotonic() < deadline:
                    # Paused: consume() returns nothing, but serves the group so we keep our partitions.
                    self._consumer.consume(1, min(0.5, max(0.0, deadline - time.monotonic())))
                    if self._stop.is_set() or self._generation != generation:
                        log.warning("abandoning an uncommitted batch (%s)",
                                    "stopping" if self._stop.is_set() else "partitions revoked")
                        return False
        finally:
            if paused:
                self._consumer.resume([tp for tp in paused if tp in self._consumer.assignment()])

    def _prepare(self, dataset: Target, topic: str,
                 msgs: Sequence[Message]) -> tuple[Target, list[Located] | EncodedRun, list[dict[str, Any]]]:
        """The topic's messages for the writer: still encoded when one schema wrote them all (ClickHouse
        decodes them, :mod:`sinks.encoded`), else decoded here. Bad frames are counted and skipped."""
        framed: list[tuple[int, int, bytes]] = []  # (partition, offset, body)
        schemas: dict[int, dict[str, Any]] = {}
        for msg in msgs:
            value = msg.value()
            try:
                schema_id, _ = unframe(value)
                if schema_id not in schemas:
                    schemas[schema_id] = self._schemas.schema(schema_id)
            except WireFormatError as exc:
                self._undecodable(topic, _partition(msg), _offset(msg), exc.code)
                continue
            framed.append((_partition(msg), _offset(msg), value[HEADER_SIZE:]))  # type: ignore[index]
        if len(schemas) == 1:
            ((schema_id, schema),) = schemas.items()
            run = EncodedRun(topic, [p for p, _, _ in framed], schema_id, [o for _, o, _ in framed],
                             [b for _, _, b in framed])
            return dataset, run, [schema]
        located: list[Located] = []
        for msg in msgs:
            try:
                _, event = self._schemas.decode(msg.value())
            except WireFormatError as exc:
                if exc.code == "avro_decode":
                    self._undecodable(topic, _partition(msg), _offset(msg), exc.code)
                continue
            located.append(Located(topic, _partition(msg), _offset(msg), event))
        return dataset, located, [s for _, s in sorted(schemas.items())]

    def _undecodable(self, topic: str, partition: int, offset: int, code: str) -> None:
        # Offsets and reason code only: the payload may carry personal data.
        log.warning("undecodable %s[%d]@%d: %s", topic, partition, offset, code)
        self.stats.undecodable[code] = self.stats.undecodable.get(code, 0) + 1

    def run(self) -> None:
        """Consume until the stop event given at construction is set."""
        self.subscribe()
        try:
            while not self._stop.is_set():
                self.poll_batch()
        finally:
            self.close()

    def close(self) -> None:
        """Finish the pending batch (unless it failed: then it stays uncommitted) and leave the group."""
        try:
            self._finish()
        except Exception as exc:  # the batch stays uncommitted; its owner reads it again
            log.warning("closing with an unfinished batch: %s", type(exc).__name__)
        finally:
            self._inserts.shutdown(wait=True)
            self._consumer.close()
