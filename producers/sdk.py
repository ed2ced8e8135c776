"""The Python SDK for source systems: validated change events, Confluent-framed Avro, idempotent Kafka,
and a durable spool for the times Kafka cannot take them.

    producer = HubProducer.connect(Settings(), system="dancu-core")
    producer.emit("population.citizen", "c", key=cccd, record={...})
    report = producer.flush()   # returns when every event is acknowledged, spooled or reported failed

Delivery. Events go to an idempotent producer (``acks=all``). One that is not acknowledged within
``DeliveryPolicy.delivery_timeout_s`` (broker down, no leader, request timed out) goes to the spool
(:mod:`producers.spool`) instead of failing; one the broker refuses for good (too large, not
authorised…) is reported in ``DeliveryReport.failed`` and kept in the spool's ``dead`` table. While the
spool holds anything, new events are appended to it rather than sent, so they cannot overtake older
ones. Replay — :meth:`HubProducer.replay`, every :meth:`flush`, and :meth:`emit` after a back-off —
asks the broker for metadata first, then re-sends spooled events in emit order and deletes each only
once it is acknowledged.

Guarantee: at least once, with no duplicates of the SDK's own making. Every event handed to
:meth:`emit` is, after :meth:`flush` returns, acknowledged, durably spooled, or reported failed. A replay
never starts while any send is unresolved, and acknowledged ids leave the spool before the next spool
read, so the SDK never sends an event twice on its own account. Two windows can still yield a second
copy in the topic, both carrying the same ``event_id``: a crash between a replay's acknowledgement and
its deletion from the spool, and a send that timed out after the broker had written it (the client
cannot tell). The streams stage drops duplicates by event id. Events handed to Kafka but not yet
resolved live in process memory: a crash before :meth:`flush` can lose them, so a source should
advance its own read position only after ``flush``. Order: per key, events keep emit order except when
a timed-out event is overtaken by one emitted before its timeout was reported; ``source.position``
tells consumers the true order.

Cost. ``emit`` validates and encodes in one pass straight into the framed message, the Confluent header
first (:class:`producers.envelope.EventEncoder`), and keeps nothing per in-flight event: the client
reports failures only, to one bound callback that rebuilds the failed event from its message; sends that
resolved without one are counted as acknowledged once the client holds nothing (every :meth:`flush`), so
between flushes ``report.pending`` counts them too; spool sequence numbers are set aside only when events
spool behind unresolved sends. The spool is touched only when Kafka or the registry cannot take events.
``make bench`` compares it with bare confluent-kafka.
"""

from __future__ import annotations

import itertools
from operator import length_hint
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException, Producer

from hub import wire
from hub.catalogue import Catalogue, Dataset, load_catalogue
from hub.errors import KafkaError
from hub.settings import Settings
from producers.delivery import SPOOLABLE, DeliveryPolicy, DeliveryReport, SchemaRegistrar, event_key, reason
from producers.envelope import EventEncoder
from producers.spool import Spool, SpooledEvent
from registry.errors import StoreError, StoreTimeout
from registry.store import KafkaSchemaStore

__all__ = ["DeliveryPolicy", "DeliveryReport", "HubProducer", "SchemaRegistrar"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Route:
    """How one dataset's events go out: its encoder, raw topic and writer-schema fingerprint."""

    encoder: EventEncoder
    topic: str
    fingerprint: str


class HubProducer:
    """Publishes change events of the catalogue's datasets to their raw topics. Thread-safe (one lock)."""

    def __init__(self, bootstrap: str, namespace: str, catalogue: Catalogue, store: SchemaRegistrar,
                 system: str = "hub-sdk", config: dict[str, Any] | None = None, *,
                 spool_dir: Path | str | None = None, policy: DeliveryPolicy | None = None) -> None:
        """``spool_dir`` holds ``<system>.sqlite3`` (callers pass ``<HUB_DATA_DIR>/spool``); None keeps the
        spool in memory, lost with the process. Raises :class:`producers.spool.SpoolLocked` if another
        process uses the same spool."""
        self._catalogue = catalogue
        self._namespace = namespace
        self._store = store
        self._system = system
        self.policy = policy or DeliveryPolicy()
        self._conf: dict[str, Any] = {
            "bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
            "linger.ms": 5, "batch.size": 512 * 1024, "compression.type": "lz4",
            "queue.buffering.max.messages": 500_000,
            "message.timeout.ms": int(self.policy.delivery_timeout_s * 1000),
            "reconnect.backoff.ms": 100, "reconnect.backoff.max.ms": 1000,
            "delivery.report.only.error": True,  # successes are counted when the client is idle (_tally)
        }
        self._conf.update(config or {})
        self._producer = Producer(self._conf)
        self._renew = False
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", system)
        self._spool = Spool.open(Path(spool_dir) / f"{name}.sqlite3") if spool_dir is not None else Spool.in_memory()
        self._seq = itertools.count(self._spool.next_seq())
        self._positions = itertools.count(1)
        self._ids: dict[str, int] = {}  # schema fingerprint -> id confirmed by the registry in this run
        self._fingerprints: dict[str, str] = {}  # dataset name -> fingerprint of its envelope schema
        self._routes: dict[str, _Route] = {}
        self._topic_fps: dict[str, str] = {}  # raw topic -> fingerprint of the schema its events are sent with
        self._late: Iterator[int] = iter(())  # spool sequence numbers kept for unresolved sends (_behind)
        self._headers: dict[int, bytes] = {}  # schema id -> Confluent header
        self._to_spool: list[SpooledEvent] = []  # outcomes not yet written to the spool …
        self._to_bury: list[SpooledEvent] = []
        self._replay_acked: list[str] = []
        self._replaying: list[str] = []  # ids of the replay round in flight …
        self._replay_failed: set[str] = set()  # … and those of them that reported a failure
        self._handed = 0  # sends handed to the client that reported no failure and are not counted yet
        self._replay_refused: dict[str, str] = {}
        self._setback = False  # a replayed event was not acknowledged: stop, keep order
        self._retry_s = self.policy.retry_min_s
        self._next_attempt = 0.0
        self._lock = threading.RLock()
        self._on_delivery = self._delivered  # one bound method, not one per produce call
        self.report = DeliveryReport(backlog=len(self._spool))

    @classmethod
    def connect(cls, settings: Settings, system: str = "hub-sdk", catalogue: Catalogue | None = None,
                policy: DeliveryPolicy | None = None) -> HubProducer:
        """A producer for the hub described by ``settings``, spooling under ``<HUB_DATA_DIR>/spool``."""
        bootstrap = settings.kafka.bootstrap_servers
        return cls(bootstrap, settings.hub.namespace, catalogue or load_catalogue(),
                   KafkaSchemaStore(bootstrap, settings.registry.topic), system=system,
                   spool_dir=settings.hub.data_dir / "spool", policy=policy)

    # -- schemas ------------------------------------------------------------------------------------
    def _subject(self, dataset: Dataset) -> str:
        return f"{dataset.topics(self._namespace).raw}-value"

    def _fingerprint(self, dataset: Dataset) -> str:
        fp = self._fingerprints.get(dataset.name)
        if fp is None:
            fp = self._fingerprints[dataset.name] = self._spool.remember_schema(self._subject(dataset),
                                                                                dataset.envelope_schema)
        return fp

    def schema_id(self, dataset: Dataset) -> int:
        """The registered id of the dataset's envelope schema under ``<raw topic>-value``.

        Raises the registry's errors (:class:`registry.errors.StoreError` when it cannot be reached)."""
        with self._lock:
            fp = self._fingerprint(dataset)
            sid = self._ids.get(fp)
            if sid is None:
                sid = self._ids[fp] = self._store.register(self._subject(dataset), dataset.envelope_schema)
            return sid

    def _schema_id_or_none(self, dataset: Dataset) -> int | None:
        """The id, or None while the registry cannot be reached (the event is spooled, framed at replay)."""
        sid = self._ids.get(self._fingerprint(dataset))
        if sid is not None or time.monotonic() < self._next_attempt:
            return sid
        try:
            return self.schema_id(dataset)
        except (StoreError, StoreTimeout) as exc:
            log.warning("schema registry unreachable for %s; spooling: %s", dataset.name, exc)
            self._back_off()
            return None

    # -- emitting -----------------------------------------------------------------------------------
    def _route(self, dataset_name: str) -> _Route:
        """The dataset's encoder, raw topic and schema fingerprint, made once per dataset."""
        route = self._routes.get(dataset_name)
        if route is None:
            dataset = self._catalogue.get(dataset_name)
            route = _Route(EventEncoder(dataset), dataset.topics(self._namespace).raw, self._fingerprint(dataset))
            self._routes[dataset_name] = route
            self._topic_fps[route.topic] = route.fingerprint
        return route

    def emit(self, dataset_name: str, op: str, key: str, record: dict[str, Any] | None,
             event_time: datetime | None = None, event_id: str | None = None,
             position: int | None = None) -> str:
        """Validate, wrap, serialize and send (or spool) one event; returns its event id.

        Raises :class:`hub.errors.ValidationError` (:class:`producers.validation.RecordInvalid` listing every
        bad field) for a bad record — nothing is sent — and :class:`hub.errors.KafkaError` if the client
        refuses the message outright (e.g. larger than the broker accepts)."""
        with self._lock:
            route = self._routes.get(dataset_name) or self._route(dataset_name)
            seq = next(self._seq)
            if not seq & 0x1F:  # serve delivery reports every 32 events: in batches they cost less
                self._producer.poll(0)
            if self._renew or self._replay_acked or self._replay_refused or self._to_bury:
                self._service()
            if self._to_spool or self.report.backlog:  # behind older events: never overtake them
                sid, why = None, "backlog"
            else:
                sid, why = self._ids.get(route.fingerprint), "registry unreachable"
                if sid is None:
                    sid = self._schema_id_or_none(route.encoder.dataset)
            header = b"" if sid is None else self._headers.get(sid) or self._header(sid)
            event_id, value = route.encoder.encode(op, key, record, self._system,
                                                   next(self._positions) if position is None else position,
                                                   event_time, event_id, prefix=header)
            if sid is None:
                self._spool_at_emit(SpooledEvent(event_id, self._behind(), route.topic, key.encode(),
                                                 route.fingerprint, value, why))
                return event_id
            try:
                self._producer.produce(route.topic, value, key.encode(), on_delivery=self._on_delivery)
                self._handed += 1
            except (BufferError, KafkaException):  # local queue full, or the client failed: the slow loop
                if not self._produce(route.topic, key.encode(), value, self._on_delivery):
                    self._to_spool.append(SpooledEvent(event_id, self._behind(), route.topic, key.encode(),
                                                       route.fingerprint, value[wire.HEADER_SIZE:],
                                                       "producer failed fatally"))
            return event_id

    def _behind(self) -> int:
        """The spool sequence number of an event that must replay after every send still unresolved.

        Sends keep no sequence number each (that cost a dict entry per event). The first time an event is
        spooled while sends are unresolved, as many numbers as there are unresolved sends are set aside
        before its own; a send that fails later takes the next of them (:meth:`_delivered`, in report order,
        which is emit order within a partition). No new send starts until those resolve and the spool has
        drained, so the spool replays in emit order."""
        pending = self._tally()
        if not pending:
            self._late = iter(())
        elif not length_hint(self._late):  # none set aside yet for these sends
            start = next(self._seq)
            self._late = iter(range(start, start + pending))
            self._seq = itertools.count(start + pending)
        return next(self._seq)

    def _header(self, sid: int) -> bytes:
        return self._headers.setdefault(sid, wire.frame(sid, b""))

    def _spool_at_emit(self, item: SpooledEvent) -> None:
        """Queue an event for the spool (written every ``spool_batch``), and replay if it is time to."""
        self._to_spool.append(item)
        if len(self._to_spool) >= self.policy.spool_batch:
            self._persist()
        if time.monotonic() >= self._next_attempt and not self._tally():
            self._replay_round(None)

    def _tally(self) -> int:
        """Count the sends that resolved without a failure as acknowledged, once the client holds nothing;
        returns ``report.pending`` (until then, every send not reported failed).

        The client reports failures only (``delivery.report.only.error``): a message object and a Python
        call per acknowledged event cost more than the rest of the SDK's bookkeeping. An empty client
        queue is the proof that every send resolved (the queue also holds the client's own events, so it
        may look busy when it is not, never the other way round). A replay round resolves the same way:
        replays and new sends never overlap, since events spool while the spool is not empty."""
        if (self._handed or self._replaying) and not len(self._producer):
            self.report.acknowledged += self._handed
            self._handed = 0
            acked = [i for i in self._replaying if i not in self._replay_failed]
            self._replay_acked += acked
            self.report.replayed += len(acked)
            self._replaying.clear()
            self._replay_failed.clear()
        self.report.pending = self._handed
        return self._handed

    def _service(self) -> None:
        """Serve delivery callbacks; replace a producer that hit a fatal error; write replay outcomes."""
        self._producer.poll(0)
        if self._renew:
            self._producer.flush(self.policy.delivery_timeout_s)  # what it still holds fails into the spool
            if self._tally():
                log.warning("%d sends unresolved by a failed Kafka client are abandoned with it", self._handed)
            self._producer = Producer(self._conf)
            self._handed = self.report.pending = 0
            self._renew = False
        if self._replay_acked or self._replay_refused or self._to_bury:
            self._persist()

    def _produce(self, topic: str, key: bytes, value: bytes, on_delivery: Callable[[Any, Any], None]) -> bool:
        """Hand one framed event to the client; False if the client failed fatally (it is then replaced).
        Delivery callbacks are served by the next emit's poll (one per event, as a bare producer does)."""
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
                self._handed += 1
                return True
            except BufferError:
                self._producer.poll(0.05)  # local queue full: serve callbacks, then retry
            except KafkaException as exc:
                err = exc.args[0]
                if err.fatal():
                    self._renew = True
                    return False
                raise KafkaError(f"cannot produce to {topic}: {reason(err)}") from exc

    def _delivered(self, err: Any, msg: Any) -> None:
        """The delivery report of an emitted event that failed (acknowledgements: :meth:`_tally`); one
        bound method for all of them, because a closure per event kept alive in the client's queue made the
        garbage collector the SDK's main cost."""
        if err is None:  # only if a caller's config asked for every report
            return
        self._handed -= 1
        # Rebuilt from the delivered message: holding each payload until its report would double memory.
        value = msg.value()
        seq = next(self._late, None)  # set aside by _behind if events were spooled behind this one
        item = SpooledEvent(event_key(value).decode(), next(self._seq) if seq is None else seq, msg.topic(),
                            msg.key(), self._topic_fps[msg.topic()], value[wire.HEADER_SIZE:], reason(err))
        if err.code() in SPOOLABLE or err.retriable() or err.fatal():
            self._renew = self._renew or err.fatal()
            self._to_spool.append(item)
        else:
            self.report.failed[item.event_id] = item.reason
            self._to_bury.append(item)

    def _persist(self) -> None:
        """Write outcomes gathered by callbacks to the spool, in one transaction each."""
        if self._to_spool:
            self.report.spooled += self._spool.add(self._to_spool)
            self._to_spool.clear()
        if self._replay_acked:
            self._spool.remove(self._replay_acked)
            self._replay_acked.clear()
        if self._replay_refused or self._to_bury:
            self._spool.bury(self._replay_refused, self._to_bury)
            self._replay_refused.clear()
            self._to_bury.clear()
        self.report.backlog = len(self._spool)

    # -- flushing and replaying ---------------------------------------------------------------------
    def flush(self, timeout_s: float | None = None) -> DeliveryReport:
        """Wait until every event is acknowledged, spooled or failed (sends resolve within the delivery
        timeout; with ``timeout_s`` some may still be ``pending``), then replay the spool if the broker
        answers. Returns a snapshot of the report."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._lock:
            self._settle(deadline)
            while (self.report.backlog and not self.report.pending
                   and (deadline is None or time.monotonic() < deadline) and self._replay_round(deadline)):
                pass
            return self._snapshot()

    def replay(self, timeout_s: float | None = None) -> DeliveryReport:
        """Re-send the spool in emit order until it is empty, the broker stops answering or
        ``timeout_s`` passes; each event leaves the spool once acknowledged."""
        return self.flush(timeout_s)

    def _settle(self, deadline: float | None) -> None:
        self._service()
        if deadline is None:
            while len(self._producer):  # until it holds nothing at all (client events may follow messages)
                self._producer.flush(-1)
        else:
            self._producer.flush(max(0.0, deadline - time.monotonic()))
        self._tally()
        self._persist()

    def _replay_round(self, deadline: float | None) -> bool:
        """Send the oldest spooled events; True if all were acknowledged (try another round)."""
        self._persist()  # acknowledged ids must leave the spool before it is read again
        self._late = iter(())  # nothing is unresolved: numbers set aside for earlier sends are not needed
        rows = self._spool.oldest(self.policy.replay_batch)
        if not rows:
            return False
        ids = self._confirm_schemas(rows) if self._answers(rows[0].topic) else None
        if ids is None:
            self._back_off()
            return False
        self._setback = False
        for row in rows:
            try:
                if not self._produce(row.topic, row.key, wire.frame(ids[row.fingerprint], row.body),
                                     self._on_replayed(row.event_id)):
                    self._setback = True
                    break
                self._replaying.append(row.event_id)
            except KafkaError as exc:
                self._replay_refused[row.event_id] = self.report.failed[row.event_id] = str(exc)
        self._settle(deadline)
        if self._setback or self.report.pending:
            self._back_off()
            return False
        self._retry_s, self._next_attempt = self.policy.retry_min_s, 0.0
        return True

    def _on_replayed(self, event_id: str) -> Callable[[Any, Any], None]:
        """The delivery report of a replayed event that failed (acknowledgements: :meth:`_tally`)."""
        def delivered(err: Any, _msg: Any) -> None:
            if err is None:
                return
            self._handed -= 1
            self._replay_failed.add(event_id)
            if err.code() in SPOOLABLE or err.retriable() or err.fatal():
                self._renew = self._renew or err.fatal()
                self._setback = True  # it stays in the spool
            else:
                self._replay_refused[event_id] = self.report.failed[event_id] = reason(err)
        return delivered

    def _answers(self, topic: str) -> bool:
        try:
            self._producer.list_topics(topic, timeout=self.policy.probe_timeout_s)
            return True
        except KafkaException:
            return False

    def _confirm_schemas(self, rows: list[SpooledEvent]) -> dict[str, int] | None:
        """Registry ids of the rows' writer schemas (registered if new), or None if unreachable."""
        for fp in {r.fingerprint for r in rows} - self._ids.keys():
            stored = self._spool.schema(fp)
            assert stored is not None, "a spooled event always has its schema in the spool"
            try:
                self._ids[fp] = self._store.register(stored.subject, stored.schema)
            except (StoreError, StoreTimeout) as exc:
                log.warning("schema registry unreachable; replay postponed: %s", exc)
                return None
        return self._ids

    def _back_off(self) -> None:
        self._next_attempt = time.monotonic() + self._retry_s
        self._retry_s = min(self._retry_s * 2, self.policy.retry_max_s)

    def _snapshot(self) -> DeliveryReport:
        self._tally()
        return replace(self.report, failed=dict(self.report.failed))

    def close(self, timeout_s: float | None = None) -> DeliveryReport:
        """Flush (spooling what Kafka cannot take) and close the spool. The store is the caller's."""
        with self._lock:
            self.flush(timeout_s)
            self._producer.purge(in_queue=True, in_flight=False)  # left after a timed-out flush: spool them
            self._producer.poll(0)
            self._tally()  # before the outcomes are written: acknowledged replays leave the spool
            self._persist()
            self._spool.close()
            return replace(self.report, failed=dict(self.report.failed))

    def __enter__(self) -> HubProducer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

