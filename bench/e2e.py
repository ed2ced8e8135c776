"""End to end: the simulator's five-ministry mix with dirt, pre-loaded on the raw topics, through the stack.

The run starts the stack on topics that already hold every event and waits until everything has *landed*:
the stream processors have committed every raw offset, and no consumer group of the namespace (the
processors' internal topics, the sink on the clean, dead-letter and derived topics) has any lag left.
Offsets, not row counts, say when it is over, so the measure needs no knowledge of what each stage keeps.

On the way it samples each service's resident memory (the peak at half the events and at the end: flat
memory means the two agree), the CPU seconds each one used, and py-spy profiles of the stream processors
and the sink once they are in their stride.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from bench.profile import Recording
from hub.catalogue import Catalogue
from hub.local.stack import Stack
from hub.topics import ensure_topics
from monitor.offsets import OffsetReader
from producers.simulator import MinistriesSimulator
from producers.simulator.publish import RawPublisher
from registry.store import KafkaSchemaStore

TICKS_PER_S = 100  # /proc/<pid>/stat clock ticks (USER_HZ), 100 on Linux


def preload(bootstrap: str, namespace: str, catalogue: Catalogue, store: KafkaSchemaStore, count: int,
            seed: int) -> dict[str, int]:
    """Publish ``count`` simulated changes to the raw topics; returns the number per raw topic."""
    ensure_topics_for = [d.topics(namespace).raw for d in catalogue]
    publisher = RawPublisher(bootstrap, namespace, catalogue, store)
    per_topic: dict[str, int] = dict.fromkeys(ensure_topics_for, 0)
    for change in MinistriesSimulator(seed=seed).changes(count):
        per_topic[catalogue.get(change.dataset).topics(namespace).raw] += 1
        publisher.publish([change])
    publisher.flush(300)
    return per_topic


def ensure_raw_topics(stack: Stack) -> list[str]:
    topics = [d.topics(stack.hub.namespace).raw for d in stack.catalogue]
    ensure_topics(stack.kafka, topics)
    return topics


def log_ends(bootstrap: str, topics: list[str]) -> dict[tuple[str, int], int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-ends", "log_level": 3})
    try:
        ends = {}
        for topic in topics:
            meta = consumer.list_topics(topic, timeout=10).topics[topic]
            for p in meta.partitions:
                ends[(topic, p)] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
        return ends
    finally:
        consumer.close()


def rss_mb(pid: int | None, field: str = "VmRSS") -> float:
    """Resident memory of a process in MB: all of it (``VmRSS``), or only what it allocated (``RssAnon``), not
    the pages of libraries and files it maps (chdb's library alone is about 200 MB of those)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def cpu_s(pid: int | None) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS_PER_S  # utime, stime
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass(frozen=True)
class EngineSample:
    """The sink's ClickHouse engine at one instant: the memory it tracks, and its largest merge in flight
    (table, parts merged, MB) if any."""

    tracked_mb: float
    merge: tuple[str, int, float] | None = None


@dataclass
class EnginePeaks:
    """The highest tracked memory and the largest merge seen over the samples (pure)."""

    tracked_mb: float = 0.0
    merge: tuple[str, int, float] | None = None

    def add(self, sample: EngineSample | None) -> None:
        if sample is None:
            return
        self.tracked_mb = max(self.tracked_mb, sample.tracked_mb)
        if sample.merge is not None and (self.merge is None or sample.merge[2] > self.merge[2]):
            self.merge = sample.merge

    def to_dict(self) -> dict[str, Any]:
        merge = None if self.merge is None else {"table": self.merge[0], "parts": self.merge[1],
                                                  "mb": round(self.merge[2], 1)}
        return {"peak_tracked_mb": round(self.tracked_mb, 1), "largest_merge": merge}


@dataclass
class Watch:
    """What the wait loop samples."""

    pids: dict[str, int | None]
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    peak_rss_at_half_mb: dict[str, float] = field(default_factory=dict)
    peak_anon_mb: dict[str, float] = field(default_factory=dict)
    peak_anon_at_half_mb: dict[str, float] = field(default_factory=dict)
    cpu_start_s: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cpu_start_s = {name: cpu_s(pid) for name, pid in self.pids.items()}

    def sample(self) -> None:
        for name, pid in self.pids.items():
            self.peak_rss_mb[name] = max(self.peak_rss_mb.get(name, 0.0), rss_mb(pid))
            self.peak_anon_mb[name] = max(self.peak_anon_mb.get(name, 0.0), rss_mb(pid, "RssAnon"))

    def half_way(self) -> None:
        self.peak_rss_at_half_mb = dict(self.peak_rss_mb)
        self.peak_anon_at_half_mb = dict(self.peak_anon_mb)

    def cpu_used_s(self) -> dict[str, float]:
        return {name: round(cpu_s(pid) - self.cpu_start_s[name], 1) for name, pid in self.pids.items()}


def end_to_end(stack: Stack, raw_ends: dict[tuple[str, int], int], profile_after: float, profile_seconds: int,
               profile_dir: Path, timeout_s: float = 3600, broker_pid: int | None = None,
               engine: Callable[[], EngineSample | None] | None = None) -> dict[str, Any]:
    """Start the stack and wait until every group has caught up; figures and profiles of the run (with
    ``broker_pid``, the broker's CPU and memory beside the hub's processes; with ``engine``, the memory the
    sink's ClickHouse engine tracks at half, at the end and at its peak, and its largest merge)."""
    expected = sum(raw_ends.values())
    ns = stack.hub.namespace
    streams_group, sink_group = f"{ns}-streams", f"{ns}-sink"
    t0 = time.perf_counter()
    stack.up()
    started = time.perf_counter()
    watch = Watch({name: stack._proc(name).pid() for name, _ in stack.services} |
                  ({"kafka": broker_pid} if broker_pid else {}))
    reader = OffsetReader(stack.kafka.bootstrap_servers)
    recordings: dict[str, Recording] = {}
    processed_at = None
    drained_at = None
    landed_at = None
    half = False
    tracked: dict[str, float | None] = {}
    peaks = EnginePeaks()

    def engine_now() -> float | None:
        sample = engine() if engine else None
        peaks.add(sample)
        return sample.tracked_mb if sample is not None else None

    try:
        while landed_at is None:
            if time.perf_counter() - started > timeout_s:
                raise TimeoutError(f"end to end did not land within {timeout_s:.0f} s")
            stack.check_alive()
            watch.sample()
            now_mb = engine_now()
            committed = reader.committed(streams_group)
            processed = sum(min(committed.get(tp, 0), end) for tp, end in raw_ends.items())
            if not half and processed >= expected / 2:
                half = True
                watch.half_way()
                tracked["half"] = now_mb
            if not recordings and processed >= expected * profile_after and profile_seconds > 0:
                profile_dir.mkdir(parents=True, exist_ok=True)
                recordings = {name: Recording(pid, profile_seconds, profile_dir / f"{name}.collapsed")
                              for name, pid in watch.pids.items() if name in ("streams", "sink") and pid}
            if processed_at is None and processed >= expected:
                processed_at = time.perf_counter()
            if processed_at is not None:
                rows = reader.snapshot(ns).partitions
                if drained_at is None and all(r.lag == 0 for r in rows if r.group == streams_group):
                    drained_at = time.perf_counter()  # golden merging and quality read the processors' own output
                if {streams_group, sink_group} <= {r.group for r in rows} and all(r.lag == 0 for r in rows):
                    landed_at = time.perf_counter()
                    break
            time.sleep(0.5)
    finally:
        reader.close()
    watch.sample()
    tracked["end"] = engine_now()
    assert processed_at is not None
    seconds = landed_at - started
    return {
        "events": expected, "seconds": round(seconds, 3), "per_second": round(expected / seconds, 1),
        "streams_done_s": round(processed_at - started, 1), "landed_s": round(seconds, 1),
        "streams_drained_s": round((drained_at or landed_at) - started, 1),
        "startup_s": round(started - t0, 1),
        "cpu_s": watch.cpu_used_s(), "peak_rss_at_half_mb": _rounded(watch.peak_rss_at_half_mb),
        "peak_rss_at_end_mb": _rounded(watch.peak_rss_mb),
        "peak_anon_at_half_mb": _rounded(watch.peak_anon_at_half_mb),
        "peak_anon_at_end_mb": _rounded(watch.peak_anon_mb),
        "engine_tracked_mb": {k: round(v, 1) for k, v in tracked.items() if v is not None},
        **({"engine_peaks": peaks.to_dict()} if engine else {}),
        "profiles": {name: rec.finish() for name, rec in recordings.items()},
    }


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in values.items()}
