"""The schemas topic as the registry's log: a reader thread that follows it, and a fenced transactional writer.

Reading. The topic has one partition and is compacted. A daemon thread (or, with ``follow=False``, each
``sync()`` call) consumes it from the beginning with ``isolation.level=read_committed`` and passes every
record to the state. ``sync()`` takes the topic's high watermark — read uncommitted, so it covers a
transaction that was just committed but whose markers are still being written — and waits until the
reader has passed it: that is how a write is read back before it is answered, how a writer catches up
before planning, and how a reader makes sure a 404 is not merely stale. When the reader is at the end of
what it can read and only an open transaction stands between it and that watermark (a writer killed
mid-write: the broker aborts its transaction after ``transaction.timeout.ms`` plus its clean-up interval,
10 s each by default), ``sync()`` waits up to :data:`OPEN_TRANSACTION_GRACE_S` longer than its timeout.

Writing: one writer at a time, enforced by the broker. Every writer of a topic uses the same Kafka
transactional id, ``hub-registry-<topic>``. ``acquire()`` runs ``init_transactions``, which bumps the
id's epoch and fences whoever held it before: from then on their commits fail. Each write is one
transaction (begin, produce its records, commit), so a write is all-or-nothing, and a commit succeeds
only if nobody acquired the id since our own ``acquire`` — which happened before we read the log to
its end and planned the write. A writer that finds itself fenced drops its producer and retries the
whole write (see :class:`registry.service.Registry`). Thus two registry instances both configured as
leader, or a registry and a set-up script using :class:`registry.store.KafkaSchemaStore`, can never
assign the same id or version to two schemas; they just take the writer role from each other.

Confluent's Kafka-related exceptions are translated here, and only here, into
:class:`registry.errors.StoreError` (50001), :class:`StoreTimeout` (50002) and :class:`WriterFenced`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from registry.errors import StoreError, StoreTimeout, WriterFenced
from registry.records import Record, decode

log = logging.getLogger(__name__)
ABORTABLE_ATTEMPTS = 4
OPEN_TRANSACTION_GRACE_S = 25.0
_FENCED = {KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH}


class KafkaLog:
    """The compacted single-partition topic ``topic`` on ``bootstrap``.

    ``follow=False`` starts no reader thread: the topic is read only inside ``sync()``, in the caller's
    thread (for in-process users such as :class:`registry.store.KafkaSchemaStore`, which then leave
    nothing running between calls)."""

    def __init__(self, bootstrap: str, topic: str, timeout_s: float = 30.0, replication_factor: int = 1,
                 follow: bool = True) -> None:
        self.bootstrap = bootstrap
        self.follow = follow
        self.topic = topic
        self.timeout_s = timeout_s
        self.replication_factor = replication_factor
        self.transactional_id = f"hub-registry-{topic}"
        self.undecodable = 0
        self._apply: Callable[[Record], None] | None = None
        self._consumer: Consumer | None = None
        self._meta: Consumer | None = None
        self._meta_lock = threading.Lock()
        self._pull_lock = threading.Lock()
        self._producer: Producer | None = None
        self._position = 0
        self._readable_end = -1  # the offset of the last end-of-partition event: all the reader may read now
        self._failure: str | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _client(self) -> dict[str, Any]:
        return {"bootstrap.servers": self.bootstrap, "logger": _KafkaLogger()}

    # -- reading -------------------------------------------------------------------------------
    def start(self, apply: Callable[[Record], None]) -> None:
        """Create the topic if needed and open the reader. A second call only changes ``apply`` (so a
        caller whose first ``sync()`` failed can start again without leaking consumers)."""
        self._apply = apply
        if self._consumer is not None:
            return
        self._ensure_topic()
        group = f"hub-registry-reader-{uuid.uuid4().hex[:8]}"  # never committed: only assign() is used
        conf = {**self._client(), "group.id": group, "enable.auto.commit": False, "enable.partition.eof": True,
                "isolation.level": "read_committed", "fetch.wait.max.ms": 100}
        self._consumer = Consumer(conf)
        # read_uncommitted: the end offset we wait for includes transactions not yet completed (a write
        # just committed whose markers are still being written, or one about to be aborted by a fence).
        self._meta = Consumer({**self._client(), "group.id": group, "enable.auto.commit": False,
                               "isolation.level": "read_uncommitted"})
        self._consumer.assign([TopicPartition(self.topic, 0, OFFSET_BEGINNING)])
        if self.follow:
            self._thread = threading.Thread(target=self._follow, name=f"registry-log-{self.topic}", daemon=True)
            self._thread.start()

    def _ensure_topic(self) -> None:
        admin = AdminClient(self._client())
        new = NewTopic(self.topic, num_partitions=1, replication_factor=self.replication_factor,
                       config={"cleanup.policy": "compact"})
        try:
            futures = admin.create_topics([new], operation_timeout=self.timeout_s, request_timeout=self.timeout_s)
            for future in futures.values():
                try:
                    future.result()
                except KafkaException as exc:
                    if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                        raise
            partitions = admin.list_topics(self.topic, timeout=self.timeout_s).topics[self.topic].partitions
        except KafkaException as exc:
            raise _store_error(f"cannot create or describe topic {self.topic}", exc) from exc
        if len(partitions) > 1:
            raise StoreError(f"topic {self.topic} has {len(partitions)} partitions; the registry needs exactly 1")

    def _follow(self) -> None:
        while not self._stop.is_set() and self._poll_once(0.2):
            pass

    def _poll_once(self, timeout_s: float) -> bool:
        """Read at most one message or event; False once reading has failed for good."""
        assert self._consumer is not None
        try:
            msg = self._consumer.poll(timeout_s)
        except (KafkaException, RuntimeError) as exc:
            self._fail(f"reading {self.topic}: {exc}")
            return False
        if msg is None:
            return True
        err, offset = msg.error(), msg.offset()
        if err is not None:
            if err.code() == KafkaError._PARTITION_EOF and offset is not None:
                self._readable_end = offset
                self._advance(offset)
            elif err.fatal():
                self._fail(f"reading {self.topic}: {err}")
                return False
            else:
                log.warning("reading %s: %s", self.topic, err)
            return True
        self._deliver(msg.key(), msg.value())
        if offset is not None:
            self._advance(offset + 1)
        return True

    def _deliver(self, key: bytes | None, value: bytes | None) -> None:
        record = decode(key, value)
        if record is None:
            self.undecodable += 1
            log.warning("skipping a message of %s that is not a registry record: key %r", self.topic, key)
            return
        try:
            assert self._apply is not None
            self._apply(record)
        except Exception:  # the reader must outlive any bad record
            log.exception("cannot apply %r", record)

    def _advance(self, position: int) -> None:
        with self._cond:
            self._position = max(self._position, position)
            self._cond.notify_all()

    def _fail(self, reason: str) -> None:
        log.error("the registry stops following %s: %s", self.topic, reason)
        with self._cond:
            self._failure = reason
            self._cond.notify_all()

    def _high_watermark(self) -> int:
        assert self._meta is not None, "start() first"
        deadline = time.monotonic() + self.timeout_s
        with self._meta_lock:
            while True:
                try:
                    return int(self._meta.get_watermark_offsets(TopicPartition(self.topic, 0),
                                                                timeout=self.timeout_s)[1])
                except KafkaException as exc:
                    # A topic created a moment ago may not be in the broker's metadata yet: retry briefly.
                    if exc.args[0].code() != KafkaError._UNKNOWN_PARTITION or time.monotonic() > deadline:
                        raise StoreError(f"cannot read the end offset of {self.topic}: {exc.args[0]}") from exc
                    time.sleep(0.1)

    def sync(self) -> None:
        high = self._high_watermark()
        deadline = time.monotonic() + self.timeout_s
        if self._thread is None:  # pulled: read in the caller's thread
            with self._pull_lock:
                while not self._reached(high, deadline):
                    self._poll_once(0.1)
            return
        with self._cond:
            while not self._reached(high, deadline):
                self._cond.wait(0.1)

    def _reached(self, high: int, deadline: float) -> bool:
        with self._cond:
            if self._position >= high:
                return True
            if self._failure is not None:
                raise StoreError(self._failure)
        now = time.monotonic()
        if now >= deadline and self._readable_end == self._position and now < deadline + OPEN_TRANSACTION_GRACE_S:
            return False  # only an open transaction is left to pass: its writer may have died mid-write
        if now >= deadline:
            raise StoreTimeout(f"reading {self.topic} reached offset {self._position} of {high} in "
                               f"{self.timeout_s:.0f}s")
        return False

    # -- writing -------------------------------------------------------------------------------
    def acquire(self) -> None:
        if self._producer is not None:
            return
        # A writer that dies mid-transaction blocks readers until the broker aborts it: keep that short.
        producer = Producer({**self._client(), "transactional.id": self.transactional_id,
                             "transaction.timeout.ms": 10_000,
                             "client.id": f"hub-registry-writer-{uuid.uuid4().hex[:6]}"})
        try:
            producer.init_transactions(self.timeout_s)
        except KafkaException as exc:
            raise _store_error(f"cannot become the writer of {self.topic}", exc) from exc
        self._producer = producer

    def append(self, records: Sequence[Record]) -> None:
        """Write ``records`` in one transaction. An abortable failure (the broker's transaction coordinator
        is still loading right after it started, say) is aborted and the transaction tried again, up to
        :data:`ABORTABLE_ATTEMPTS` times: an aborted transaction wrote nothing."""
        for attempt in range(1, ABORTABLE_ATTEMPTS + 1):
            if self._try_append(records, last=attempt == ABORTABLE_ATTEMPTS):
                break
            log.warning("writing to %s: transaction aborted, trying again (%d of %d)", self.topic, attempt + 1,
                        ABORTABLE_ATTEMPTS)
            time.sleep(0.2 * 2 ** attempt)
        self.sync()

    def _try_append(self, records: Sequence[Record], last: bool) -> bool:
        """One transaction; False when it was aborted and may be tried again (never when ``last``)."""
        producer = self._producer
        if producer is None:
            raise WriterFenced("not the writer: acquire() first")
        try:
            producer.begin_transaction()
            for record in records:
                key, value = record.encode()
                producer.produce(self.topic, key=key, value=value, partition=0)
            self._commit(producer)
        except KafkaException as exc:
            err = exc.args[0]
            if err.code() in _FENCED:
                self._producer = None
                raise WriterFenced(f"another writer took over {self.topic}") from exc
            if err.txn_requires_abort() and self._abort(producer):
                if not last:
                    return False
                raise _store_error(f"writing to {self.topic}", exc) from exc
            # Fatal, or the transaction's outcome is unknown (another process taking the writer role while we
            # committed ends in "EndTxn commit failed: Unknown broker error", and aborting it may then fail
            # too: Kafka 4.1's coordinator answers a commit racing an epoch fence with an internal error): the
            # caller acquires the log afresh, reads it to the end and plans again, so a write that did land is
            # not repeated.
            self._producer = None
            raise WriterFenced(f"writing to {self.topic}: the transaction's outcome is unknown ({err.str()})") from exc
        except BufferError as exc:
            self._abort(producer)
            raise StoreError(f"writing to {self.topic}: {exc}") from exc
        return True

    def _commit(self, producer: Producer) -> None:
        try:
            producer.commit_transaction(self.timeout_s)
        except KafkaException as exc:
            if not exc.args[0].retriable():
                raise
            producer.commit_transaction(self.timeout_s)  # a timed-out commit may be retried

    def _abort(self, producer: Producer) -> bool:
        """Abort the open transaction; False if that failed too (the next acquire() starts afresh)."""
        try:
            producer.abort_transaction(self.timeout_s)
        except KafkaException:
            self._producer = None
            return False
        return True

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for consumer in (self._consumer, self._meta):
            if consumer is not None:
                consumer.close()
        self._consumer = self._meta = None
        self._producer = None


class _KafkaLogger:
    """librdkafka's log lines into :data:`log`; being fenced is an expected turn of the writer role (INFO)."""

    def log(self, level: int, fmt: str, *args: object) -> None:
        message = fmt % args if args else fmt
        if "fenced" in message.lower() or "old epoch" in message.lower():
            level = min(level, logging.INFO)
        log.log(level, message)


def _store_error(what: str, exc: KafkaException) -> StoreError | StoreTimeout:
    err = exc.args[0]
    if err.code() in (KafkaError._TIMED_OUT, KafkaError.REQUEST_TIMED_OUT):
        return StoreTimeout(f"{what}: {err}")
    return StoreError(f"{what}: {err}")
