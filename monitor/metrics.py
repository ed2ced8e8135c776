"""Prometheus metrics of the hub: every name is declared once here, in :data:`METRICS`.

The monitor service renders its latest :class:`~monitor.state.MonitorState` on each scrape
(:class:`StateCollector`); the sink process records its own inserts (:class:`SinkMetrics`). The alert rules
(``ops/prometheus/alerts.yml``) and the Grafana dashboard (``ops/grafana/dashboard.json``) use exactly
these names, which a unit test checks.

=====================================  =========  ==============================  ===============================
metric                                 type       labels                          from
=====================================  =========  ==============================  ===============================
hub_consumer_lag_messages              gauge      group, topic, partition         log end − committed offset
hub_consumer_lag_seconds               gauge      group, topic, partition         newest − oldest unconsumed ts
hub_consumer_partition_status          gauge      group, topic, partition,        1 for the current status
                                                  status
hub_consumer_group_lag_messages        gauge      group                           sum over partitions
hub_consumer_group_lag_seconds         gauge      group                           max over partitions
hub_consumer_group_status              gauge      group, status                   1 for the current OK/WARN/ERR
hub_stage_events_total                 counter    dataset, stage                  raw/clean/dlq offsets, stored rows
hub_dead_letters_total                 counter    dataset, reason                 the dead_letters table
hub_table_rows                         gauge      table                           history rows, canaries excluded
hub_table_freshness_seconds            gauge      table, clock                    now − max(event_time|_sink_time)
hub_quality_score                      gauge      dataset, measure, source        quality table or topic offsets
hub_probe_latency_seconds              gauge      dataset, quantile               canary produce → visible
hub_probe_canaries_total               counter    dataset, outcome                sent / landed / lost
hub_monitor_source_up                  gauge      source                          kafka / clickhouse / probe read
hub_sink_batch_rows                    histogram  topic                           rows per sink insert
hub_sink_insert_seconds                histogram  topic                           duration of a sink insert
hub_sink_in_flight_messages            gauge                                      consumed, not yet committed
hub_sink_insert_retries_total          counter                                    inserts ClickHouse refused
=====================================  =========  ==============================  ===============================
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from prometheus_client import CollectorRegistry, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.evaluator import GROUP_STATUSES, PARTITION_STATUSES
from monitor.state import STAGES, MonitorState


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: str
    help: str
    labels: tuple[str, ...]


METRICS = (
    MetricSpec("hub_consumer_lag_messages", "gauge", "Messages between the committed offset and the log end.",
               ("group", "topic", "partition")),
    MetricSpec("hub_consumer_lag_seconds", "gauge",
               "Timestamp of the newest message minus that of the oldest unconsumed one.",
               ("group", "topic", "partition")),
    MetricSpec("hub_consumer_partition_status", "gauge", "1 for the partition's current status (Burrow's rules).",
               ("group", "topic", "partition", "status")),
    MetricSpec("hub_consumer_group_lag_messages", "gauge", "Lag of the group in messages, summed over partitions.",
               ("group",)),
    MetricSpec("hub_consumer_group_lag_seconds", "gauge", "Largest partition lag of the group in seconds.",
               ("group",)),
    MetricSpec("hub_consumer_group_status", "gauge", "1 for the group's current status: OK, WARN or ERR.",
               ("group", "status")),
    MetricSpec("hub_stage_events", "counter",
               "Events per pipeline stage: written to the raw/clean/dlq topics, stored in ClickHouse.",
               ("dataset", "stage")),
    MetricSpec("hub_dead_letters", "counter", "Dead letters stored, by dataset and reason.", ("dataset", "reason")),
    MetricSpec("hub_table_rows", "gauge", "Rows of a history table (probe canaries excluded).", ("table",)),
    MetricSpec("hub_table_freshness_seconds", "gauge",
               "Now minus the newest event_time (clock=event_time) or _sink_time (clock=sink_time).",
               ("table", "clock")),
    MetricSpec("hub_quality_score", "gauge", "Data-quality score per dataset (0..1).", ("dataset", "measure", "source")),
    MetricSpec("hub_probe_latency_seconds", "gauge", "Canary latency from produce to visible in ClickHouse.",
               ("dataset", "quantile")),
    MetricSpec("hub_probe_canaries", "counter", "Probe canaries by outcome: sent, landed, lost.",
               ("dataset", "outcome")),
    MetricSpec("hub_monitor_source_up", "gauge", "1 if the monitor's last read of the source succeeded.",
               ("source",)),
    MetricSpec("hub_sink_batch_rows", "histogram", "Rows per sink insert.", ("topic",)),
    MetricSpec("hub_sink_insert_seconds", "histogram", "Duration of one sink insert into ClickHouse.", ("topic",)),
    MetricSpec("hub_sink_in_flight_messages", "gauge",
               "Messages the sink consumed and has not committed yet (at most two batches).", ()),
    MetricSpec("hub_sink_insert_retries", "counter",
               "Sink inserts ClickHouse refused; each is retried with backoff while consumption is paused.", ()),
)
SPEC = {m.name: m for m in METRICS}
SOURCES = ("kafka", "clickhouse", "probe")


def _family(name: str) -> GaugeMetricFamily | CounterMetricFamily:
    spec = SPEC[name]
    cls = CounterMetricFamily if spec.kind == "counter" else GaugeMetricFamily
    return cls(spec.name, spec.help, labels=list(spec.labels))


def _lag_families(state: MonitorState) -> Iterator[Metric]:
    names = ("hub_consumer_lag_messages", "hub_consumer_lag_seconds", "hub_consumer_partition_status",
             "hub_consumer_group_lag_messages", "hub_consumer_group_lag_seconds", "hub_consumer_group_status")
    lag, lag_s, p_status, g_lag, g_lag_s, g_status = (_family(n) for n in names)
    for g in state.lag.groups if state.lag is not None else ():
        g_lag.add_metric([g.group], g.lag)
        g_lag_s.add_metric([g.group], g.lag_seconds)
        for s in GROUP_STATUSES:
            g_status.add_metric([g.group, s.value], 1.0 if g.status is s else 0.0)
        for p in g.partitions:
            labels = [g.group, p.topic, str(p.partition)]
            lag.add_metric(labels, p.lag)
            lag_s.add_metric(labels, p.lag_seconds)
            for s in PARTITION_STATUSES:
                p_status.add_metric([*labels, s.value], 1.0 if p.status is s else 0.0)
    yield from (lag, lag_s, p_status, g_lag, g_lag_s, g_status)


def _table_families(state: MonitorState) -> Iterator[Metric]:
    stages, dead, rows, fresh, quality = (_family(n) for n in (
        "hub_stage_events", "hub_dead_letters", "hub_table_rows", "hub_table_freshness_seconds", "hub_quality_score"))
    for c in state.stages:
        for stage in STAGES:
            value = c.get(stage)
            if value is not None:
                stages.add_metric([c.dataset, stage], value)
    for d in state.dead_letters:
        dead.add_metric([d.dataset, d.reason], d.count)
    for f in state.freshness:
        rows.add_metric([f.table], f.rows)
        for clock, age in (("event_time", f.event_time_lag_s), ("sink_time", f.sink_time_lag_s)):
            if age is not None:
                fresh.add_metric([f.table, clock], age)
    for q in state.quality:
        quality.add_metric([q.dataset, q.measure, q.source], q.score)
    yield from (stages, dead, rows, fresh, quality)


def _probe_families(state: MonitorState) -> Iterator[Metric]:
    latency, canaries, up = (_family(n) for n in ("hub_probe_latency_seconds", "hub_probe_canaries",
                                                  "hub_monitor_source_up"))
    for p in state.probe:
        for quantile, value in (("0.5", p.p50_s), ("0.99", p.p99_s)):
            if value is not None:
                latency.add_metric([p.dataset, quantile], value)
        for outcome, count in (("sent", p.sent), ("landed", p.landed), ("lost", p.lost)):
            canaries.add_metric([p.dataset, outcome], count)
    for source in SOURCES:
        up.add_metric([source], 0.0 if source in state.errors else 1.0)
    yield from (latency, canaries, up)


class StateCollector(Collector):
    """Renders the monitor's latest state on every scrape."""

    def __init__(self, current: Callable[[], MonitorState | None]) -> None:
        self._current = current

    def collect(self) -> Iterator[Metric]:
        state = self._current()
        if state is None:
            return
        yield from _lag_families(state)
        yield from _table_families(state)
        yield from _probe_families(state)


def monitor_registry(current: Callable[[], MonitorState | None]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StateCollector(current))
    return registry


class SinkCounts(Protocol):
    """What the sink's metrics read of its running counts (:class:`sinks.consumer.SinkStats` is one)."""

    in_flight: int
    retries: int


class _SinkCountsCollector(Collector):
    def __init__(self, counts: SinkCounts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        in_flight, retries = _family("hub_sink_in_flight_messages"), _family("hub_sink_insert_retries")
        in_flight.add_metric([], self._counts.in_flight)
        retries.add_metric([], self._counts.retries)
        yield from (in_flight, retries)


class SinkMetrics:
    """Histograms the sink records for each insert: ``KafkaSink(..., on_insert=SinkMetrics(reg).observe)``,
    and its running counts, read on each scrape once :meth:`watch` was given them."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry
        rows, seconds = SPEC["hub_sink_batch_rows"], SPEC["hub_sink_insert_seconds"]
        self._rows = Histogram(rows.name, rows.help, list(rows.labels), registry=registry,
                               buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000))
        self._seconds = Histogram(seconds.name, seconds.help, list(seconds.labels), registry=registry,
                                  buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))

    def observe(self, topic: str, rows: int, seconds: float) -> None:
        self._rows.labels(topic).observe(rows)
        self._seconds.labels(topic).observe(seconds)

    def watch(self, counts: SinkCounts) -> None:
        self._registry.register(_SinkCountsCollector(counts))


def serve_sink_metrics(host: str, port: int) -> SinkMetrics:
    """Serve the sink's ``/metrics`` on a daemon thread; returns the recorder for ``KafkaSink(on_insert=…)``.

    A port already in use is logged and the sink goes on without serving its metrics: losing a metrics
    endpoint must not stop the data."""
    registry = CollectorRegistry()
    metrics = SinkMetrics(registry)
    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        logging.getLogger("hub.sink").warning("sink metrics not served on %s:%d: %s", host, port, exc)
    return metrics
