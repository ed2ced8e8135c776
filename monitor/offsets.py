"""Reading consumer-group state from Kafka: committed offsets, log start/end offsets, members, timestamps.

The one adapter between the monitor and confluent-kafka; every Kafka error becomes
:class:`monitor.errors.OffsetsUnavailable` here. Nothing is ever committed: the consumer used to read
message timestamps only uses ``assign()`` under the group id ``hub-monitor``.

Which groups belong to a namespace ``ns``: those named ``<ns>-…`` (the faust workers ``<ns>-streams``, the
sink ``<ns>-sink``) and any other group with committed offsets on a ``<ns>.…`` topic. The registry's
readers use ``assign()`` with throw-away group ids and never commit, so they show up only if that changes.
A partition that a member holds but for which nothing was committed yet is read from the log start
(``auto.offset.reset=earliest``, as every hub consumer is configured) — except the group's own internal
topics (``<group>-…``: faust's table changelogs and leader topic), which faust reads to restore tables
and never commits; they are listed only once something is committed on them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from monitor.errors import OffsetsUnavailable

TP = tuple[str, int]


@dataclass(frozen=True)
class PartitionSample:
    """One partition of one group at one sample. ``committed`` is None when nothing was committed yet."""

    group: str
    topic: str
    partition: int
    committed: int | None
    log_start: int
    log_end: int
    owner: str | None
    position_ts_ms: int | None = None
    """Timestamp of the message at the committed offset (the oldest one not yet consumed)."""
    latest_ts_ms: int | None = None
    """Timestamp of the newest message of the partition (at ``log_end - 1``)."""

    @property
    def position(self) -> int:
        return self.committed if self.committed is not None else self.log_start

    @property
    def lag(self) -> int:
        return max(0, self.log_end - self.position)

    @property
    def lag_seconds(self) -> float:
        """Newest message's timestamp minus the oldest unconsumed one's (0 without lag or timestamps)."""
        if self.lag == 0 or self.position_ts_ms is None or self.latest_ts_ms is None:
            return 0.0
        return max(0, self.latest_ts_ms - self.position_ts_ms) / 1000


@dataclass(frozen=True)
class Snapshot:
    """All groups of a namespace at one instant, plus the log-end offsets of the namespace's own topics."""

    at_ms: int
    partitions: tuple[PartitionSample, ...]
    topic_ends: Mapping[str, int] = field(default_factory=dict)
    """Sum over partitions of the log-end offset: messages ever written to the topic."""


def _internal(group: str, topic: str) -> bool:
    """A group's own internal topic: faust names its table changelogs and leader topic ``<app id>-…``."""
    return topic.startswith(f"{group}-")


class OffsetReader:
    """Reads :class:`Snapshot` s from one Kafka cluster. Not thread-safe: one per sampling thread."""

    def __init__(self, bootstrap: str, timeout_s: float = 10.0) -> None:
        self._bootstrap = bootstrap
        self._timeout_s = timeout_s
        self._admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 3})
        self._consumer: Consumer | None = None
        self._timestamps: dict[tuple[str, int, int], int | None] = {}

    # -- groups ----------------------------------------------------------------------------------
    def _result(self, future: Any, request: str, group: str | None = None, topic: str | None = None) -> Any:
        try:
            return future.result(timeout=self._timeout_s)
        except KafkaException as exc:
            raise OffsetsUnavailable(request, group, topic, str(exc.args[0])) from exc
        except Exception as exc:  # concurrent.futures.TimeoutError and friends
            raise OffsetsUnavailable(request, group, topic, repr(exc)) from exc

    def _groups(self) -> list[str]:
        listing = self._result(self._admin.list_consumer_groups(request_timeout=self._timeout_s),
                               "listing consumer groups")
        return sorted(g.group_id for g in listing.valid)

    def committed(self, group: str) -> dict[TP, int]:
        """The group's committed offsets (partitions without a commit are left out)."""
        futures = self._admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)],
                                                          request_timeout=self._timeout_s)
        result = self._result(futures[group], "reading committed offsets", group)
        return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions or () if tp.offset >= 0}

    def owners(self, groups: list[str]) -> dict[str, dict[TP, str]]:
        """For each group, who holds each assigned partition (member client id)."""
        if not groups:
            return {}
        out: dict[str, dict[TP, str]] = {}
        for group, future in self._admin.describe_consumer_groups(groups, request_timeout=self._timeout_s).items():
            described = self._result(future, "describing the group", group)
            out[group] = {(tp.topic, tp.partition): f"{m.client_id}@{m.host}"
                          for m in described.members if m.assignment is not None
                          for tp in m.assignment.topic_partitions}
        return out

    # -- topics ----------------------------------------------------------------------------------
    def partitions_of(self, topics: Iterable[str]) -> list[TP]:
        wanted = set(topics)
        if not wanted:
            return []
        try:
            metadata = self._admin.list_topics(timeout=self._timeout_s)
        except KafkaException as exc:
            raise OffsetsUnavailable("reading topic metadata", reason=str(exc.args[0])) from exc
        return sorted((name, p) for name, t in metadata.topics.items() if name in wanted and t.error is None
                      for p in t.partitions)

    def _list_offsets(self, tps: Iterable[TP], spec: OffsetSpec) -> dict[TP, int]:
        request = {TopicPartition(t, p): spec for t, p in sorted(set(tps))}
        if not request:
            return {}
        futures = self._admin.list_offsets(request, request_timeout=self._timeout_s)
        return {(tp.topic, tp.partition): int(self._result(f, "listing offsets", topic=tp.topic).offset)
                for tp, f in futures.items()}

    # -- message timestamps ----------------------------------------------------------------------
    def timestamps(self, wanted: Iterable[tuple[str, int, int]]) -> dict[tuple[str, int, int], int | None]:
        """Timestamp (ms) of the message at each wanted (topic, partition, offset); the next message's if that
        offset is gone; None if the message has no timestamp or could not be read in time."""
        keys = set(wanted)
        if len(self._timestamps) > 50_000:
            self._timestamps.clear()
        by_tp: dict[TP, list[int]] = {}
        for t, p, o in keys:
            if (t, p, o) not in self._timestamps:
                by_tp.setdefault((t, p), []).append(o)
        while by_tp:  # a partition can be assigned once per pass: one offset of each partition per pass
            batch = {tp: offsets.pop() for tp, offsets in by_tp.items()}
            by_tp = {tp: offsets for tp, offsets in by_tp.items() if offsets}
            read = self._read_timestamps(batch)
            for tp, offset in batch.items():
                if tp in read:
                    self._timestamps[(tp[0], tp[1], offset)] = read[tp]
        return {k: self._timestamps.get(k) for k in keys}

    def _read_timestamps(self, wanted: Mapping[TP, int]) -> dict[TP, int | None]:
        consumer = self._timestamp_consumer()
        consumer.assign([TopicPartition(t, p, o) for (t, p), o in wanted.items()])
        found: dict[TP, int | None] = {}
        deadline = time.monotonic() + self._timeout_s
        try:
            while len(found) < len(wanted) and time.monotonic() < deadline:
                for msg in consumer.consume(max(1, len(wanted)), 0.2):
                    if msg.error():
                        continue
                    tp = (str(msg.topic()), int(msg.partition() or 0))
                    if tp in wanted and tp not in found:
                        kind, ts = msg.timestamp()
                        found[tp] = ts if kind != 0 and ts >= 0 else None  # 0: TIMESTAMP_NOT_AVAILABLE
        except KafkaException as exc:
            raise OffsetsUnavailable("reading message timestamps", reason=str(exc.args[0])) from exc
        finally:
            consumer.unassign()
        return found

    def _timestamp_consumer(self) -> Consumer:
        if self._consumer is None:
            self._consumer = Consumer({
                "bootstrap.servers": self._bootstrap, "group.id": "hub-monitor", "enable.auto.commit": False,
                "enable.auto.offset.store": False, "fetch.wait.max.ms": 20, "max.partition.fetch.bytes": 65536,
                "queued.max.messages.kbytes": 2048, "log_level": 3})
        return self._consumer

    # -- the snapshot ----------------------------------------------------------------------------
    def snapshot(self, namespace: str, topics: Iterable[str] = ()) -> Snapshot:
        """Every group of ``namespace`` with its partitions, and the log-end totals of ``topics``."""
        at_ms = int(time.time() * 1000)
        prefix_group, prefix_topic = f"{namespace}-", f"{namespace}."
        committed: dict[str, dict[TP, int]] = {}
        for group in self._groups():
            if group == "hub-monitor":
                continue
            offsets = self.committed(group)
            if group.startswith(prefix_group) or any(t.startswith(prefix_topic) for t, _ in offsets):
                committed[group] = offsets
        owners = {g: {tp: who for tp, who in held.items() if tp in committed[g] or not _internal(g, tp[0])}
                  for g, held in self.owners(sorted(committed)).items()}
        own_topics = self.partitions_of(topics)
        tps = {tp for g in committed for tp in (*committed[g], *owners.get(g, {}))} | set(own_topics)
        starts = self._list_offsets(tps, OffsetSpec.earliest())
        ends = self._list_offsets(tps, OffsetSpec.latest())
        rows = [PartitionSample(group, t, p, committed[group].get((t, p)), starts.get((t, p), 0), ends.get((t, p), 0),
                                owners.get(group, {}).get((t, p)))
                for group in sorted(committed)
                for t, p in sorted({*committed[group], *owners.get(group, {})})]
        rows = self._with_timestamps(rows)
        totals: dict[str, int] = {t: 0 for t in topics}
        for t, p in own_topics:
            totals[t] = totals.get(t, 0) + ends.get((t, p), 0)
        return Snapshot(at_ms, tuple(rows), totals)

    def _with_timestamps(self, rows: list[PartitionSample]) -> list[PartitionSample]:
        lagging = [r for r in rows if r.lag > 0]
        ts = self.timestamps([(r.topic, r.partition, o) for r in lagging for o in (r.position, r.log_end - 1)])
        return [replace(r, position_ts_ms=ts.get((r.topic, r.partition, r.position)),
                        latest_ts_ms=ts.get((r.topic, r.partition, r.log_end - 1))) if r.lag > 0 else r
                for r in rows]

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
