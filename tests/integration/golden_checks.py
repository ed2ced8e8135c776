"""What the golden topics say, and what they must say: shared by the golden-only and the full-worker tests.

:class:`GoldenState` reads ``<ns>.golden.<entity>`` from the beginning and keeps, per key, the change with
the highest revision (deletes honoured); :class:`Run` is a simulated run's expected golden records — the
manifest's, plus the provenance the stream merge attaches, computed by the pure reference topology
(:func:`streams.golden.fold.fold`) over the events the clean topics must hold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from hub import wire
from hub.catalogue import Catalogue, load_catalogue
from hub.settings import KafkaSettings
from producers.simulator import Change, Manifest, MinistriesSimulator, build_manifest
from registry.store import KafkaSchemaStore
from streams.golden.agents import golden_topics
from streams.golden.fold import fold
from tests.unit.test_golden_fold import accepted, source_event

Clean = list[tuple[Change, dict[str, Any] | None]]
"""Accepted events in delivery order, each with its cleaned record (None for a delete)."""
Records = dict[str, dict[str, dict[str, Any]]]
"""Entity (``citizen``, ``enterprise``) → golden key → attributes."""


class TopicReader:
    """Reads topics from the beginning, decoding every value; ``read()`` returns what arrived since."""

    def __init__(self, kafka: KafkaSettings, topics: list[str], store: KafkaSchemaStore) -> None:
        self._schemas = wire.SchemaCache(store.schema)
        self._consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": "unused",
                                   "enable.auto.commit": False})
        self._consumer.assign([TopicPartition(t, p, 0) for t in topics for p in range(kafka.partitions)])

    def read(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for msg in self._consumer.consume(5000, 0.5):
            if msg.error() is None:
                found.append((str(msg.topic()), self._schemas.decode(msg.value())[1]))
        return found

    def close(self) -> None:
        self._consumer.close()


def until(done: Callable[[], bool], worker: Any, timeout_s: float, what: str) -> None:
    """Poll ``done`` until true; fails with ``what`` on timeout, or at once if ``worker`` (a Popen) died."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert worker.poll() is None, "the worker died; see its log in the test's data dir"
        assert time.monotonic() < deadline, f"{what} within {timeout_s}s"


class GoldenState:
    """The golden records as the golden topics say: per key, the change with the highest revision."""

    def __init__(self, kafka: KafkaSettings, namespace: str, registry: KafkaSchemaStore) -> None:
        self.reader = TopicReader(kafka, golden_topics(namespace), registry)
        self._latest: dict[tuple[str, str], dict[str, Any]] = {}

    def __call__(self) -> Records:
        for topic, envelope in self.reader.read():
            entity = topic.rsplit(".", 1)[1]
            held = self._latest.get((entity, envelope["key"]))
            if held is None or envelope["source"]["position"] > held["source"]["position"]:
                self._latest[(entity, envelope["key"])] = envelope
        found: Records = {"citizen": {}, "enterprise": {}}
        for (entity, key), envelope in sorted(self._latest.items()):
            if envelope["op"] != "d":
                found[entity][key] = envelope["after"]
        return found

    def settle(self, expected: Records, alive: Callable[[], bool], timeout_s: float) -> Records:
        """The golden records once they equal ``expected`` and stay so for a few seconds (anything late or
        extra would show by then), or as they are at ``timeout_s`` — for the caller's assertion to show
        the difference. Fails at once if ``alive()`` turns false."""
        started = time.monotonic()
        while self() != expected and time.monotonic() < started + timeout_s:
            assert alive(), "a worker died; see its log in the test's data dir"
        print(f"golden topics settled after {time.monotonic() - started:.1f}s (timeout {timeout_s}s)")
        time.sleep(3)
        return self()

    def close(self) -> None:
        self.reader.close()


def differences(actual: Records, expected: Records, limit: int = 5) -> dict[str, Any]:
    """A readable summary of how two golden states differ (empty when equal): per entity the missing and
    extra keys, and for up to ``limit`` differing keys the differing attributes as (actual, expected) —
    pytest's diff of two large nested dicts is unreadable. (The values are the simulator's synthetic people.)"""
    found: dict[str, Any] = {}
    for entity in sorted(set(actual) | set(expected)):
        have, want = actual.get(entity, {}), expected.get(entity, {})
        differing = sorted(k for k in have.keys() & want.keys() if have[k] != want[k])
        attributes = {k: _differing(have[k], want[k]) for k in differing[:limit]}
        summary = {"missing": sorted(want.keys() - have.keys())[:limit],
                   "extra": sorted(have.keys() - want.keys())[:limit],
                   "counts": (len(have), len(want)), "differing": len(differing), "attributes": attributes}
        if summary["missing"] or summary["extra"] or differing:
            found[entity] = summary
    return found


def _differing(have: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    """Attribute → (actual, expected) where they differ; nested records (provenance) only down to what differs."""
    found: dict[str, Any] = {}
    for name in sorted(have.keys() | want.keys()):
        a, b = have.get(name), want.get(name)
        if a != b:
            found[name] = _differing(a, b) if isinstance(a, dict) and isinstance(b, dict) else (a, b)
    return found


@dataclass
class Run:
    """A simulated run: its clean events, and the golden records they must give (with provenance)."""

    catalogue: Catalogue
    manifest: Manifest
    events: Clean
    expected: Records

    @classmethod
    def simulate(cls, seed: int, count: int) -> Run:
        catalogue = load_catalogue()
        changes = list(MinistriesSimulator(seed=seed, dirt=0.1).changes(count))
        return cls.of(catalogue, changes, build_manifest(changes, catalogue))

    @classmethod
    def of(cls, catalogue: Catalogue, delivered: Sequence[Change], manifest: Manifest) -> Run:
        """The run of ``delivered`` (in delivery order, dirt and repeats included) and its ``manifest``."""
        events = accepted(delivered, manifest)
        folded = fold(source_event(c, r) for c, r in events)
        expected = {e: {k: r.to_avro() for k, r in folded.records(e).items()} for e in ("citizen", "enterprise")}
        return cls(catalogue, manifest, events, expected)

    def part(self, index: int, parts: int) -> Clean:
        size = -(-len(self.events) // parts)
        return self.events[index * size:(index + 1) * size]

    def check(self, final: Records) -> None:
        """``final`` equals the expected golden records, and without provenance the manifest's, attribute by
        attribute (the second holds by construction of the first; it names the ground truth in the test)."""
        diff = differences(final, self.expected)
        assert diff == {}, f"golden records differ from the expected ones: {diff}"
        assert final == self.expected
        without_provenance = {e: {k: {a: v for a, v in r.items() if a != "provenance"} for k, r in records.items()}
                              for e, records in final.items()}
        assert without_provenance == self.manifest.golden
